import Foundation
import Logging
import Torch
import XCTest

@testable import DDPO

/// `workers` changes where an epoch's work runs, never what it computes: sampling
/// batches have their own noise and the gradients of a window are summed in
/// micro-batch order, so (at one intra-op thread) 2 or 3 workers train bitwise like one.
final class WorkersTrainerTests: TinyRunTestCase {
    /// Runs the tiny configuration with `changes` at 1 worker and at `workers`; checks
    /// that both end with the same trainable weights and logged the same epochs.
    private func assertSameRun(workers: Int, _ changes: KeyValuePairs<String, String?>) async throws {
        var results: [(weights: [[UInt8]], reports: [EpochReport])] = []
        for count in [1, workers] {
            let yaml = tinyRunYAML(name: "workers-\(count)", runs: runs, changes)
            let trainer = try Trainer(
                configuration: try TrainingConfiguration.decode(
                    yaml: yaml, overrides: ["workers=\(count)"]), catalogue: .tests(), logger: logger)
            var reports: [EpochReport] = []
            try await trainer.run(onEpoch: { reports.append($0) })
            results.append((trainer.model.unet.trainableParameters().map { $0.tensor.bytes() }, reports))
        }
        let (one, many) = (results[0], results[1])
        XCTAssertFalse(one.weights.isEmpty)
        XCTAssertEqual(one.weights, many.weights, "trainable weights differ between 1 and \(workers) workers")
        XCTAssertEqual(one.reports.map(\.rewards), many.reports.map(\.rewards))
        XCTAssertEqual(one.reports.map(\.prompts), many.reports.map(\.prompts))
        XCTAssertEqual(one.reports.map(\.update), many.reports.map(\.update))
        XCTAssertEqual(one.reports.last?.update.optimizerSteps, many.reports.last?.update.optimizerSteps)
    }

    func testTwoWorkersTrainLoRABitwiseLikeOne() async throws {
        try await assertSameRun(workers: 2, [:])
    }

    /// Full fine-tuning, accumulation windows of 8 micro-batches (3 workers: 3, 3 and 2
    /// each), the KL penalty toward the frozen copy, which runs on all threads.
    func testThreeWorkersTrainTheWholeUNetWithKLPenaltyBitwiseLikeOne() async throws {
        try await assertSameRun(
            workers: 3,
            [
                "use_lora": "false",
                "sample": "{num_steps: 4, batch_size: 4, num_batches_per_epoch: 2}",
                "train":
                    "{batch_size: 2, gradient_accumulation_steps: 2, learning_rate: 1.0e-3, clip_range: 1.0e-2, kl_weight: 0.1}"
            ])
    }

    /// RWR draws each micro-batch's noise from the training generator: drawn in order
    /// before the window is handed out. Two inner epochs.
    func testTwoWorkersTrainRewardWeightedRegressionBitwiseLikeOne() async throws {
        try await assertSameRun(
            workers: 2,
            [
                "sample": "{num_steps: 4, batch_size: 4, num_batches_per_epoch: 2}",
                "train":
                    "{algorithm: rwr, batch_size: 2, gradient_accumulation_steps: 2, learning_rate: 3.0e-3, num_inner_epochs: 2}"
            ])
    }

    /// A LoRA run's KL reference is the shared UNet with its adapters off: switched
    /// off once per window, for all of its reference steps, then on for the losses.
    func testTwoWorkersTrainLoRAWithAKLPenaltyBitwiseLikeOne() async throws {
        try await assertSameRun(
            workers: 2,
            [
                "train":
                    "{batch_size: 2, gradient_accumulation_steps: 1, learning_rate: 3.0e-3, clip_range: 1.0e-2, kl_weight: 0.1}"
            ])
    }

    func testWorkersMustBePositiveAndOnTheCPU() throws {
        let yaml = tinyRunYAML(name: "bad", runs: runs)
        XCTAssertThrowsError(
            try TrainingConfiguration.decode(yaml: yaml, overrides: ["workers=0"]).validate(
                knownRewards: ["jpeg_compressibility"])
        ) { error in
            XCTAssertEqual((error as? ConfigurationError)?.field, "workers")
        }
        XCTAssertThrowsError(
            try TrainingConfiguration.decode(yaml: yaml, overrides: ["workers=2", "device=cuda"]).validate(
                knownRewards: ["jpeg_compressibility"])
        ) { error in
            XCTAssertEqual((error as? ConfigurationError)?.field, "workers")
            XCTAssertTrue("\(error)".contains("device cpu"), "\(error)")
        }
        let config = try TrainingConfiguration.decode(yaml: yaml, overrides: ["workers=2"])
        XCTAssertEqual(config.workers, 2)
        XCTAssertEqual(try TrainingConfiguration.decode(yaml: config.yamlString()).workers, 2)
    }
}
