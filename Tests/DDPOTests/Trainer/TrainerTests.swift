import DiffusionModels
import Foundation
import ImageCodecs
import Logging
import Rewards
import Torch
import TorchNN
import XCTest

@testable import DDPO

final class TrainerTests: TinyRunTestCase {
    static let tinySD1 = PolicyUpdateTests.tinySD1

    private func configuration(_ name: String, _ overrides: [String] = []) throws -> TrainingConfiguration {
        let yaml = tinyRunYAML(name: name, runs: runs)
        return try TrainingConfiguration.decode(yaml: yaml, overrides: overrides)
    }

    func testResumedRunEndsWithTheSameWeightsBitwise() async throws {
        try await assertResumedRunEndsWithTheSameWeightsBitwise()
    }

    func testResumedRunWithKLPenaltyAndPretrainingLossEndsWithTheSameWeightsBitwise() async throws {
        let regularised = ["train.kl_weight=0.01", "train.pretrain_loss_weight=0.5", "train.pretrain_batch_size=2"]
        let reports = try await assertResumedRunEndsWithTheSameWeightsBitwise(regularised)
        for report in reports {
            XCTAssertGreaterThan(report.scalars["pretrain_loss"] ?? 0, 0)
            XCTAssertNotNil(report.scalars["kl_penalty"])
        }
        // The adapters start at B = 0: the first optimizer step sees the base model itself.
        XCTAssertEqual(reports.first?.update.steps.first?.klPenalty, 0)
        XCTAssertGreaterThan(reports.last?.scalars["kl_penalty"] ?? 0, 0)
    }

    /// Runs 2 epochs straight, and 1 + 1 with a resume in between; returns the straight run's epoch reports.
    @discardableResult
    private func assertResumedRunEndsWithTheSameWeightsBitwise(_ extra: [String] = []) async throws -> [EpochReport] {
        let straight = try Trainer(configuration: configuration("straight", extra), catalogue: .tests(), logger: logger)
        var reports: [EpochReport] = []
        try await straight.run { reports.append($0) }
        let first = try Trainer(
            configuration: configuration("resumed", extra + ["epochs=1"]), catalogue: .tests(), logger: logger)
        try await first.run()
        var resumed = try configuration("resumed", extra + ["epochs=2"])
        resumed.resume = first.runDirectory.path
        let second = try Trainer(configuration: resumed, catalogue: .tests(), logger: logger)
        XCTAssertEqual(second.epoch, 1)
        XCTAssertEqual(second.globalStep, first.globalStep)
        try await second.run()
        XCTAssertEqual(second.globalStep, straight.globalStep)
        let a = straight.model.unet.loraParameters()
        let b = second.model.unet.loraParameters()
        XCTAssertEqual(a.map(\.name), b.map(\.name))
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.tensor.bytes(), y.tensor.bytes(), "\(x.name) differs after resume")
        }
        // Checkpoints and the LoRA export were written.
        let store = CheckpointStore(runDirectory: second.runDirectory, kept: 3)
        XCTAssertEqual(try store.checkpoints().map(\.lastPathComponent), ["epoch-000001", "epoch-000002"])
        let export = try Safetensors.load(
            second.runDirectory.appendingPathComponent("lora/pytorch_lora_weights.safetensors"))
        XCTAssertTrue(
            export.keys.allSatisfy {
                $0.hasPrefix("unet.") && ($0.hasSuffix("lora_A.weight") || $0.hasSuffix("lora_B.weight"))
            })
        return reports
    }

    func testFullFineTuningKeepsAFrozenInitialUNetAsTheKLReference() async throws {
        let trainer = try Trainer(
            configuration: configuration(
                "full-kl",
                [
                    "use_lora=false", "epochs=1",
                    "train.learning_rate=1e-4",
                    "train.kl_weight=0.01"
                ]), catalogue: .tests(), logger: logger)
        guard case .frozenCopy(let reference) = trainer.klReference else {
            return XCTFail("expected a frozen copy, got \(String(describing: trainer.klReference))")
        }
        XCTAssertFalse(reference.model.unet === trainer.model.unet)
        XCTAssertTrue(reference.model.unet.trainableParameters().isEmpty)
        let report = try await trainer.runEpoch()
        XCTAssertEqual(report.update.steps.count, 2)
        XCTAssertEqual(report.update.steps[0].klPenalty, 0, "a copy of the initial weights gives the same means")
        XCTAssertGreaterThan(report.update.steps[1].klPenalty ?? 0, 0)
        // The reference did not move with the trained UNet.
        let initial = try StableDiffusion.load(directory: Self.tinySD1).unet.parameterDictionary()
        for (name, tensor) in reference.model.unet.parameterDictionary() {
            XCTAssertEqual(tensor.bytes(), initial[name]?.bytes(), name)
        }
    }

    func testResumingWithAnotherTrainableKindIsRefused() async throws {
        let first = try Trainer(configuration: configuration("kind", ["epochs=1"]), catalogue: .tests(), logger: logger)
        try await first.run()
        var full = try configuration("kind", ["epochs=2", "use_lora=false"])
        full.resume = first.runDirectory.path
        XCTAssertThrowsError(try Trainer(configuration: full, catalogue: .tests(), logger: logger)) { error in
            XCTAssertTrue("\(error)".contains("lora"), "\(error)")
        }
    }

    func testAFreshRunRefusesTheFolderOfAnother() async throws {
        let first = try Trainer(
            configuration: configuration("taken", ["epochs=1"]), catalogue: .tests(), logger: logger)
        try await first.run()
        XCTAssertThrowsError(
            try Trainer(configuration: configuration("taken", ["epochs=2"]), catalogue: .tests(), logger: logger)
        ) { error in
            XCTAssertEqual((error as? ConfigurationError)?.field, "run_name", "\(error)")
            XCTAssertTrue("\(error)".contains("--resume"), "\(error)")
        }
    }

    func testBadRewardNameIsAConfigurationError() throws {
        XCTAssertThrowsError(
            try Trainer(configuration: configuration("bad", ["reward=sharpness"]), catalogue: .tests(), logger: logger)
        ) { error in
            XCTAssertTrue("\(error)".contains("sharpness"), "\(error)")
        }
    }
}

extension TrainerTests {
    func testRunWritesBeforeAndAfterEvaluationsOfTheSamePrompts() async throws {
        let trainer = try Trainer(
            configuration: configuration("evaluations", ["epochs=1"]), catalogue: .tests(), logger: logger)
        try await trainer.run()
        let evaluations = try Evaluation.readAll(in: trainer.evaluationDirectory)
        XCTAssertEqual(evaluations.map(\.epoch), [0, 1])
        XCTAssertEqual(evaluations[0].prompts, evaluations[1].prompts)
        XCTAssertEqual(evaluations[0].prompts.count, 8, "eval_images defaults to 8")
        XCTAssertEqual(evaluations[0].seed, evaluations[1].seed)
        for evaluation in evaluations {
            let grid = try RGBImage(contentsOfPNG: trainer.evaluationDirectory.appendingPathComponent(evaluation.grid))
            XCTAssertEqual(
                grid.width, evaluation.columns * evaluation.tileWidth + (evaluation.columns + 1) * evaluation.padding)
        }
    }
}
