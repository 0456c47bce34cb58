import Foundation
import Logging
import Rewards
import XCTest

@testable import DDPO

/// `reward: human` on the tiny random SD1 model: the trainer publishes the epoch's
/// pairs, waits for the labels (given here through the files, as `ddpo label` gives
/// them), and trains on them.
final class HumanLabelTrainingTests: TinyRunTestCase {
    private func configuration(_ name: String, _ overrides: [String] = []) throws -> TrainingConfiguration {
        let yaml = tinyRunYAML(
            name: name, runs: runs,
            [
                "reward": "{name: human, options: {poll_seconds: 0.05}}",
                "sample": "{num_steps: 4, batch_size: 4, num_batches_per_epoch: 2, pair_shared_noise: true}",
                "train": "{algorithm: d3po, batch_size: 4, gradient_accumulation_steps: 1, learning_rate: 3.0e-3}"
            ])
        return try TrainingConfiguration.decode(yaml: yaml, overrides: overrides)
    }

    /// Labels a published epoch once it appears: pair 0 first, 1 second, 2 equal, 3 skip.
    private func label(_ folder: PreferenceFolder, epoch: Int) async throws -> LabellingEpoch {
        for _ in 0..<2000 {
            if let published = try folder.epoch(epoch) {
                for (pair, choice) in [PairChoice.first, .second, .equal, .skip].enumerated() {
                    try folder.record(PairLabel(pair: pair, choice: choice), epoch: epoch)
                }
                return published
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        throw XCTSkip("the trainer never published epoch \(epoch)")
    }

    func testTheEpochTrainsOnTheLabelsItWaitedFor() async throws {
        let trainer = try Trainer(configuration: configuration("human"), catalogue: .tests(), logger: logger)
        let folder = PreferenceFolder(runDirectory: trainer.runDirectory)
        async let published = label(folder, epoch: 0)
        let report = try await trainer.runEpoch()
        let pairs = try await published
        XCTAssertEqual(pairs.pairs.count, 4)
        XCTAssertEqual(pairs.required, 4)
        // The skipped pair is dropped; the others train with their preference ±h.
        XCTAssertEqual(report.droppedSamples, 2)
        XCTAssertEqual(report.rewards, [1, 0, 0, 1, 0.5, 0.5])
        XCTAssertEqual(report.advantages, [1, -1, -1, 1, 0, 0])
        XCTAssertEqual(report.prompts[0], pairs.pairs[0].prompt)
        XCTAssertGreaterThan(report.update.optimizerSteps, 0)
    }

    func testHumanLabelsNeedAPairAlgorithmAndNoMonitor() throws {
        XCTAssertThrowsError(
            try configuration("not-pairs", ["train.algorithm=ddpo_is", "sample.pair_shared_noise=false"])
                .validate(catalogue: .tests())
        ) { error in
            XCTAssertTrue("\(error)".contains("p3o or d3po"), "\(error)")
        }
        XCTAssertThrowsError(
            try configuration("monitor", ["monitor.every=1"]).validate(catalogue: .tests())
        ) { error in
            XCTAssertTrue("\(error)".contains("monitor.every"), "\(error)")
        }
        for share in ["0", "1.5", "x"] {
            XCTAssertThrowsError(
                try RewardRegistry.standard.make(RewardConfiguration(name: "human", options: ["share": share]))
            ) { error in
                XCTAssertTrue("\(error)".contains("share"), "\(error)")
            }
        }
    }
}
