import Files
import Foundation
import Rewards
import Torch
import XCTest

@testable import DDPO

/// A reward that is never finite, for `nan_rewards: drop`.
private final class AlwaysNaNReward: Reward, @unchecked Sendable {
    var name: String { "always_nan" }
    var usesLibtorch: Bool { false }

    func score(_ input: RewardInput) async throws -> RewardBatch {
        RewardBatch(rewards: Array(repeating: .nan, count: input.count))
    }
}

/// Resume and run-folder reliability (issue #20: 9 damaged checkpoints, 11 a second
/// trainer on the folder, 12 metrics.jsonl after a resume, 13 every reward dropped).
final class ResumeReliabilityTests: TinyRunTestCase {
    private func configuration(_ name: String, _ overrides: [String] = [], resume: URL? = nil) throws
        -> TrainingConfiguration
    {
        var configuration = try TrainingConfiguration.decode(
            yaml: tinyRunYAML(name: name, runs: runs), overrides: overrides)
        configuration.resume = resume?.path
        return configuration
    }

    /// The epochs of metrics.jsonl's epoch lines, in file order.
    private func loggedEpochs(_ run: URL) throws -> [Int] {
        let text = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line in
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return object["reward_mean"] == nil ? nil : (object["epoch"] as? NSNumber)?.intValue
        }
    }

    func testADamagedNewestCheckpointIsRefusedUnlessFallingBackIsAskedFor() async throws {
        let first = try Trainer(configuration: configuration("damaged"), catalogue: .tests(), logger: logger)
        try await first.run()
        let run = first.runDirectory
        let weights = run.appendingPathComponent("checkpoints/epoch-000002/trainable.safetensors")
        var bytes = try Data(contentsOf: weights)
        bytes[bytes.count - 5] ^= 0x01  // a tensor byte; the header is intact
        try bytes.write(to: weights)

        XCTAssertThrowsError(
            try Trainer(
                configuration: configuration("damaged", ["epochs=3"], resume: run), catalogue: .tests(), logger: logger)
        ) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("epoch-000002/trainable.safetensors"), text)
            XCTAssertTrue(text.contains("is damaged"), text)
            XCTAssertTrue(text.contains("checkpoints/epoch-000001 (epoch 1)"), text)
            XCTAssertTrue(text.contains("--resume-from-last-good"), text)
        }
        let resumed = try Trainer(
            configuration: configuration("damaged", ["epochs=3"], resume: run), catalogue: .tests(),
            resumeFromLastGood: true, logger: logger)
        XCTAssertEqual(resumed.epoch, 1)
        XCTAssertEqual(try loggedEpochs(run), [0])
        try await resumed.run()
        XCTAssertEqual(try loggedEpochs(run), [0, 1, 2])
        XCTAssertEqual(
            try resumed.checkpoints.checkpoints().map(\.lastPathComponent),
            ["epoch-000001", "epoch-000002", "epoch-000003"])
    }

    func testASecondTrainerOnTheFolderStopsNamingTheFirstsPID() async throws {
        let first = try Trainer(
            configuration: configuration("busy", ["epochs=1"]), catalogue: .tests(), logger: logger)
        let run = first.runDirectory
        XCTAssertThrowsError(
            try Trainer(configuration: configuration("busy", resume: run), catalogue: .tests(), logger: logger)
        ) { error in
            XCTAssertTrue(error is RunFolderLock.Busy, "\(error)")
            XCTAssertTrue("\(error)".contains("pid \(getpid())"), "\(error)")
        }
        try await first.run()
        // The lock goes with the run.
        let second = try Trainer(configuration: configuration("busy", resume: run), catalogue: .tests(), logger: logger)
        XCTAssertEqual(second.epoch, 1)
    }

    /// Killed after epoch 3's line was logged but before its checkpoint: the resume
    /// from epoch 2 leaves each epoch once in metrics.jsonl.
    func testResumeRewindsTheMetricsToTheCheckpoint() async throws {
        let first = try Trainer(
            configuration: configuration("rewind", ["epochs=3", "save_freq=2"]), catalogue: .tests(), logger: logger)
        try await first.run()
        let run = first.runDirectory
        try FileManager.default.removeItem(at: run.appendingPathComponent("checkpoints/epoch-000003"))
        XCTAssertEqual(try loggedEpochs(run), [0, 1, 2])
        let resumed = try Trainer(
            configuration: configuration("rewind", ["epochs=3", "save_freq=2"], resume: run), catalogue: .tests(),
            logger: logger)
        XCTAssertEqual(resumed.epoch, 2)
        XCTAssertEqual(try loggedEpochs(run), [0, 1])
        try await resumed.run()
        XCTAssertEqual(try loggedEpochs(run), [0, 1, 2])
    }

    func testMetricsRewindKeepsTheMonitorReadingOfTheCheckpointsEpoch() throws {
        let file = runs.appendingPathComponent("metrics.jsonl")
        try FileManager.default.createDirectory(at: runs, withIntermediateDirectories: true)
        let lines = [
            #"{"step":0,"epoch":0,"time":1,"monitor/heldout_reward":1}"#,
            #"{"step":1,"epoch":0,"time":2,"reward_mean":1}"#,
            #"{"step":1,"epoch":1,"time":3,"monitor/heldout_reward":2}"#,
            #"{"step":2,"epoch":1,"time":4,"reward_mean":2}"#,
            #"{"step":2,"epoch":2,"time":5,"monitor/heldout_reward":3}"#,
            #"{"step":3,"epoch":2,"time":6,"reward_mean":3}"#
        ]
        try Data((lines.joined(separator: "\n") + "\n" + #"{"step":3,"ep"#).utf8).write(to: file)
        XCTAssertEqual(try MetricsRewind.rewind(file: file, toEpoch: 1), 4)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), lines.prefix(3).joined(separator: "\n") + "\n")
        XCTAssertEqual(try MetricsRewind.rewind(file: file, toEpoch: 1), 0)
        XCTAssertEqual(try MetricsRewind.rewind(file: file, toEpoch: 0), 3)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "")
    }

    private func nanCatalogue() -> Catalogue {
        var registry = RewardRegistry.standard
        registry.register("always_nan", options: []) { _ in AlwaysNaNReward() }
        return .tests(rewards: registry)
    }

    func testEpochsInARowWithEveryRewardNaNStopTheRun() async throws {
        let trainer = try Trainer(
            configuration: configuration("all-nan", ["epochs=5", "reward=always_nan", "nan_rewards=drop"]),
            catalogue: nanCatalogue(), logger: logger)
        var epochs: [Int] = []
        do {
            try await trainer.run { epochs.append($0.epoch) }
            XCTFail("the run ended without error having trained nothing")
        } catch let error as AllSamplesDroppedError {
            XCTAssertEqual(error.epochs, Trainer.maxAllDroppedEpochsInARow)
            XCTAssertEqual(error.lastEpoch, 2)
            XCTAssertTrue("\(error)".contains("always_nan"), "\(error)")
            XCTAssertTrue("\(error)".contains("3 epoch(s) in a row"), "\(error)")
        }
        XCTAssertEqual(epochs, [0, 1, 2])
    }

    func testARunThatTrainedNothingDoesNotEndWithSuccess() async throws {
        let trainer = try Trainer(
            configuration: configuration("short-nan", ["epochs=2", "reward=always_nan", "nan_rewards=drop"]),
            catalogue: nanCatalogue(), logger: logger)
        do {
            try await trainer.run()
            XCTFail("the run ended without error having trained nothing")
        } catch let error as AllSamplesDroppedError {
            XCTAssertEqual(error.epochs, 2)
            XCTAssertEqual(error.lastEpoch, 1)
        }
    }
}
