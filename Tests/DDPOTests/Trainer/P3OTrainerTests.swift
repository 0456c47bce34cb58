import DiffusionModels
import Foundation
import Logging
import Torch
import XCTest

@testable import DDPO

/// `train.algorithm: p3o` on the tiny random SD1 model: pairs of one prompt, their
/// ±A advantages, whole pairs per micro-batch, and a bitwise resume.
final class P3OTrainerTests: TinyRunTestCase {
    private func configuration(_ name: String, _ overrides: [String]) throws -> TrainingConfiguration {
        let yaml = tinyRunYAML(
            name: name, runs: runs,
            [
                "prompt": #"{name: fixed, prompts: ["a red circle", "a blue square", "a green triangle"]}"#,
                "sample": "{num_steps: 4, batch_size: 4, num_batches_per_epoch: 2}",
                "train": "{algorithm: p3o, batch_size: 4, gradient_accumulation_steps: 1, learning_rate: 3.0e-3, "
                    + "clip_range: 1.0e-2}"
            ])
        return try TrainingConfiguration.decode(yaml: yaml, overrides: overrides)
    }

    func testPairsShareAPromptAndTrainOnTheirRewardDifference() async throws {
        for clipping in P3OObjective.Clipping.allCases {
            let trainer = try Trainer(
                configuration: configuration("p3o-\(clipping)", ["epochs=1", "train.p3o_clipping=\(clipping)"]),
                catalogue: .tests(), logger: logger)
            let before = trainer.model.unet.loraParameters().map { $0.tensor.bytes() }
            let report = try await trainer.runEpoch()
            XCTAssertEqual(report.rewards.count, 8)
            for pair in 0..<4 {
                XCTAssertEqual(report.prompts[2 * pair], report.prompts[2 * pair + 1], "pair \(pair)")
                XCTAssertEqual(report.advantages[2 * pair], -report.advantages[2 * pair + 1], "pair \(pair)")
            }
            let expected = TrainingTask.pairAdvantages(report.rewards, clip: 5)
            for (ours, again) in zip(report.advantages, expected) { XCTAssertEqual(ours, again, accuracy: 1e-12) }
            XCTAssertTrue(report.advantages.contains { $0 != 0 })
            // 8 samples / batches of 4 samples (2 pairs) × 4 trained steps.
            XCTAssertEqual(report.update.optimizerSteps, 2)
            XCTAssertTrue(report.update.loss.isFinite)
            let after = trainer.model.unet.loraParameters().map { $0.tensor.bytes() }
            XCTAssertNotEqual(before, after, "\(clipping): the adapters moved")
        }
    }

    func testAResumedP3ORunWithKLEndsWithTheSameWeightsBitwise() async throws {
        let extra = ["train.kl_weight=0.01", "train.p3o_clipping=joint"]
        let straight = try Trainer(
            configuration: configuration("straight", extra + ["epochs=2"]), catalogue: .tests(), logger: logger)
        try await straight.run()
        let first = try Trainer(
            configuration: configuration("resumed", extra + ["epochs=1"]), catalogue: .tests(), logger: logger)
        try await first.run()
        var resumed = try configuration("resumed", extra + ["epochs=2"])
        resumed.resume = first.runDirectory.path
        let second = try Trainer(configuration: resumed, catalogue: .tests(), logger: logger)
        try await second.run()
        let a = straight.model.unet.loraParameters()
        let b = second.model.unet.loraParameters()
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.tensor.bytes(), y.tensor.bytes(), "\(x.name) differs after resume")
        }
    }

    func testOddBatchSizesAreRefused() throws {
        XCTAssertThrowsError(
            try configuration("odd", ["sample.batch_size=3", "sample.num_batches_per_epoch=4"])
                .validate(catalogue: .tests())
        ) { error in
            XCTAssertTrue("\(error)".contains("sample.batch_size") && "\(error)".contains("pairs"), "\(error)")
        }
        XCTAssertThrowsError(
            try configuration("odd-train", ["train.batch_size=1"])
                .validate(catalogue: .tests())
        ) { error in
            XCTAssertTrue("\(error)".contains("train.batch_size"), "\(error)")
        }
    }

    /// `sample.pair_shared_noise`: both samples of a pair start from one x_T and then
    /// part ways through the steps' noise; an epoch trains on them.
    func testPairsCanShareTheirInitialNoise() async throws {
        let trainer = try Trainer(
            configuration: configuration("shared", ["epochs=1", "sample.pair_shared_noise=true"]),
            catalogue: .tests(), logger: logger)
        var options = SamplingOptions(steps: 4, guidanceScale: 5, eta: 1, height: 16, width: 16)
        options.samplesPerInitialNoise = 2
        let trajectory = trainer.sampler.sample(
            prompts: ["a red circle", "a red circle", "a blue square", "a blue square"], options: options,
            generator: Generator(seed: 9))
        let start = trajectory.latents.select(dim: 1, index: 0)
        XCTAssertEqual(start[0].bytes(), start[1].bytes())
        XCTAssertEqual(start[2].bytes(), start[3].bytes())
        XCTAssertNotEqual(start[0].bytes(), start[2].bytes())
        let end = trajectory.latents.select(dim: 1, index: 4)
        XCTAssertNotEqual(end[0].bytes(), end[1].bytes(), "eta 1: the steps' noise differs")
        let report = try await trainer.runEpoch()
        XCTAssertEqual(report.rewards.count, 8)
        XCTAssertTrue(report.update.loss.isFinite)
    }

    func testSharedNoiseIsOnlyForPairs() throws {
        XCTAssertThrowsError(
            try configuration("not-pairs", ["train.algorithm=ddpo_is", "sample.pair_shared_noise=true"])
                .validate(catalogue: .tests())
        ) { error in
            XCTAssertTrue("\(error)".contains("sample.pair_shared_noise"), "\(error)")
        }
    }
}
