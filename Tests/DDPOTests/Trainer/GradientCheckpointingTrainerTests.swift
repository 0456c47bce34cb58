import Foundation
import Logging
import Torch
import XCTest

@testable import DDPO

/// `train.gradient_checkpointing` changes what the policy update keeps in memory, never
/// what it computes: a run with it ends bitwise like one without.
final class GradientCheckpointingTrainerTests: TinyRunTestCase {
    /// Runs the tiny configuration with `changes` for one epoch, without and with
    /// checkpointing; checks that both end with the same trainable weights and logged the
    /// same epoch.
    private func assertSameRun(_ changes: [String] = []) async throws {
        var results: [(weights: [[UInt8]], reports: [EpochReport])] = []
        for checkpointing in [false, true] {
            let yaml = tinyRunYAML(name: "checkpointing-\(checkpointing)", runs: runs, ["epochs": "1"])
            let configuration = try TrainingConfiguration.decode(
                yaml: yaml, overrides: changes + ["train.gradient_checkpointing=\(checkpointing)"])
            XCTAssertEqual(configuration.train.gradientCheckpointing, checkpointing)
            let trainer = try Trainer(configuration: configuration, catalogue: .tests(), logger: logger)
            var reports: [EpochReport] = []
            try await trainer.run(onEpoch: { reports.append($0) })
            results.append((trainer.model.unet.trainableParameters().map { $0.tensor.bytes() }, reports))
        }
        let (plain, checkpointed) = (results[0], results[1])
        XCTAssertFalse(plain.weights.isEmpty)
        XCTAssertEqual(plain.weights, checkpointed.weights, "trainable weights differ with gradient checkpointing")
        XCTAssertEqual(plain.reports.count, 1)
        XCTAssertEqual(plain.reports.map(\.rewards), checkpointed.reports.map(\.rewards))
        XCTAssertEqual(plain.reports.map(\.update), checkpointed.reports.map(\.update))
        XCTAssertGreaterThan(plain.reports.first?.update.gradientNorm ?? 0, 0)
    }

    func testLoRARunEndsWithTheSameWeights() async throws {
        try await assertSameRun()
    }

    /// The whole UNet, with the KL penalty toward the frozen copy, at two workers (the
    /// gradients then come from `Torch.gradients`, not `backward()`).
    func testFullFineTuningWithTwoWorkersEndsWithTheSameWeights() async throws {
        try await assertSameRun([
            "use_lora=false", "workers=2", "train.learning_rate=1.0e-3", "train.kl_weight=0.1"
        ])
    }

    func testTheOptionDefaultsToOffAndRoundTrips() throws {
        let yaml = tinyRunYAML(name: "defaults", runs: runs)
        XCTAssertFalse(try TrainingConfiguration.decode(yaml: yaml).train.gradientCheckpointing)
        let on = try TrainingConfiguration.decode(yaml: yaml, overrides: ["train.gradient_checkpointing=true"])
        XCTAssertTrue(on.train.gradientCheckpointing)
        XCTAssertTrue(on.yamlString().contains("gradient_checkpointing: true"))
        XCTAssertTrue(try TrainingConfiguration.decode(yaml: on.yamlString()).train.gradientCheckpointing)
        XCTAssertThrowsError(
            try TrainingConfiguration.decode(yaml: yaml, overrides: ["train.gradient_checkpointing=sometimes"]))
    }
}
