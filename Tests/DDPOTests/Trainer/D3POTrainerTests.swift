import DiffusionModels
import Foundation
import Logging
import Torch
import XCTest

@testable import DDPO

/// `train.algorithm: d3po` on the tiny random SD1 model: pairs of one prompt with
/// their preference ±h from the reward, the reference's log-probabilities, and a
/// bitwise resume.
final class D3POTrainerTests: TinyRunTestCase {
    private func configuration(_ name: String, _ overrides: [String]) throws -> TrainingConfiguration {
        let yaml = tinyRunYAML(
            name: name, runs: runs,
            [
                "prompt": #"{name: fixed, prompts: ["a red circle", "a blue square", "a green triangle"]}"#,
                "sample": "{num_steps: 4, batch_size: 4, num_batches_per_epoch: 2, pair_shared_noise: true}",
                "train": "{algorithm: d3po, batch_size: 4, gradient_accumulation_steps: 1, learning_rate: 3.0e-3, "
                    + "dpo_beta: 5.0}"
            ])
        return try TrainingConfiguration.decode(yaml: yaml, overrides: overrides)
    }

    /// The first optimizer step starts at the reference (the LoRA adapters are zero):
    /// every log-ratio is 0, so its loss is exactly log 2; the step then moves the
    /// adapters, and the second step's loss differs.
    func testPairsTrainOnTheirPreferenceAgainstTheReference() async throws {
        let trainer = try Trainer(
            configuration: configuration("d3po", ["epochs=1"]), catalogue: .tests(), logger: logger)
        let before = trainer.model.unet.loraParameters().map { $0.tensor.bytes() }
        let report = try await trainer.runEpoch()
        XCTAssertEqual(report.rewards.count, 8)
        for pair in 0..<4 {
            XCTAssertEqual(report.prompts[2 * pair], report.prompts[2 * pair + 1], "pair \(pair)")
            // JPEG sizes are whole bytes: two tiny images may tie, and then h = 0.
            let difference = report.rewards[2 * pair] - report.rewards[2 * pair + 1]
            let h: Double = difference > 0 ? 1 : (difference < 0 ? -1 : 0)
            XCTAssertEqual(report.advantages[2 * pair], h, "pair \(pair)")
            XCTAssertEqual(report.advantages[2 * pair + 1], -h, "pair \(pair)")
        }
        XCTAssertTrue(report.advantages.contains { $0 != 0 })
        XCTAssertEqual(report.update.optimizerSteps, 2)
        XCTAssertEqual(report.update.steps[0].loss, Foundation.log(2), accuracy: 1e-6)
        XCTAssertNotEqual(report.update.steps[1].loss, Foundation.log(2), accuracy: 1e-9)
        let after = trainer.model.unet.loraParameters().map { $0.tensor.bytes() }
        XCTAssertNotEqual(before, after, "the adapters moved")
    }

    func testAResumedD3PORunEndsWithTheSameWeightsBitwise() async throws {
        let straight = try Trainer(
            configuration: configuration("straight", ["epochs=2"]), catalogue: .tests(), logger: logger)
        try await straight.run()
        let first = try Trainer(
            configuration: configuration("resumed", ["epochs=1"]), catalogue: .tests(), logger: logger)
        try await first.run()
        var resumed = try configuration("resumed", ["epochs=2"])
        resumed.resume = first.runDirectory.path
        let second = try Trainer(configuration: resumed, catalogue: .tests(), logger: logger)
        try await second.run()
        for (x, y) in zip(straight.model.unet.loraParameters(), second.model.unet.loraParameters()) {
            XCTAssertEqual(x.tensor.bytes(), y.tensor.bytes(), "\(x.name) differs after resume")
        }
    }

    /// Both pair objectives with everything around them: full fine-tuning, the KL and
    /// pretraining-loss terms, two tasks updated one after the other, and 2 workers,
    /// which must not change a bit of the result.
    func testPairObjectivesTrainMultiTaskFullFineTunesAlikeOnOneOrTwoWorkers() async throws {
        for algorithm in ["p3o", "d3po"] {
            var weights: [[[UInt8]]] = []
            for workers in [1, 2] {
                let yaml = tinyRunYAML(
                    name: "\(algorithm)-\(workers)", runs: runs,
                    [
                        "use_lora": "false", "workers": "\(workers)", "prompt": nil, "reward": nil,
                        "sample": "{num_steps: 4, batch_size: 4, num_batches_per_epoch: 1}",
                        "train": "{algorithm: \(algorithm), batch_size: 2, learning_rate: 1.0e-4, kl_weight: 0.01, "
                            + "pretrain_loss_weight: 0.5, pretrain_batch_size: 2}",
                        "tasks": """

                          - name: small
                            prompt: {name: fixed, prompts: ["a red circle", "a blue square"]}
                            reward: jpeg_compressibility
                          - name: large
                            prompt: {name: fixed, prompts: ["a green triangle"]}
                            reward: jpeg_incompressibility
                            weight: 0.5
                        """
                    ])
                let configuration = try TrainingConfiguration.decode(yaml: yaml, overrides: ["epochs=1"])
                let trainer = try Trainer(configuration: configuration, catalogue: .tests(), logger: logger)
                let before = trainer.optimizer.parameters.map { $0.tensor.bytes() }
                let report = try await trainer.runEpoch()
                XCTAssertEqual(report.tasks.map { $0.update?.optimizerSteps }, [2, 2], algorithm)
                XCTAssertNotNil(report.scalars["kl_penalty"], algorithm)
                XCTAssertGreaterThan(report.scalars["pretrain_loss"] ?? 0, 0, algorithm)
                let after = trainer.optimizer.parameters.map { $0.tensor.bytes() }
                XCTAssertNotEqual(before, after, "\(algorithm): the UNet moved")
                weights.append(after)
            }
            XCTAssertEqual(weights[0], weights[1], "\(algorithm): 2 workers changed the result")
        }
    }

    func testDPOSettingsAreChecked() throws {
        for (override, field) in [
            ("train.dpo_beta=0", "train.dpo_beta"), ("train.dpo_clip_range=1", "train.dpo_clip_range"),
            ("train.dpo_clip_range=0", "train.dpo_clip_range")
        ] {
            XCTAssertThrowsError(try configuration("bad", [override]).validate(catalogue: .tests())) { error in
                XCTAssertTrue("\(error)".contains(field), "\(override): \(error)")
            }
        }
    }
}
