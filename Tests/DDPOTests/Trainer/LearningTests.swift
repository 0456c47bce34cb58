import DiffusionModels
import Foundation
import Logging
import Rewards
import Torch
import XCTest

@testable import DDPO

/// DDPO must actually improve the reward: a short run on the tiny random pipeline,
/// judged on the same prompts and noise before and after training (a paired
/// comparison, so the epoch-to-epoch sampling noise cancels).
final class LearningTests: XCTestCase {
    func testShortRunRaisesJPEGCompressibility() async throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("learning-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let yaml = """
            run_name: learn
            seed: 11
            log_dir: \(runs.path)
            epochs: \(ProcessInfo.processInfo.environment["DDPO_LEARN_EPOCHS"] ?? "6")
            save_freq: 100
            model: \(PolicyUpdateTests.tinySD1.path)
            threads: 1
            use_lora: false
            prompt: {name: fixed, prompts: ["a red circle"]}
            reward: jpeg_compressibility
            sample: {num_steps: 4, batch_size: 8, num_batches_per_epoch: 1, height: 32, width: 32}
            train: {batch_size: 4, learning_rate: \(ProcessInfo.processInfo.environment["DDPO_LEARN_LR"] ?? "3.0e-3"), clip_range: 1.0e-2}
            advantages: {strategy: batch}
            """
        let configuration = try TrainingConfiguration.decode(yaml: yaml)
        let trainer = try Trainer(configuration: configuration, catalogue: .tests(), logger: Logger(label: "test"))
        let reward = try RewardRegistry.standard.make("jpeg_compressibility")
        func evaluate() async throws -> [Double] {
            let trajectory = TrajectorySampler(model: trainer.model).sample(
                prompts: Array(repeating: "a red circle", count: 16),
                options: SamplingOptions(steps: 4, guidanceScale: 5, eta: 1, height: 32, width: 32),
                generator: Generator(seed: 2024))
            return try await reward.score(RewardInput(images: trajectory.images, prompts: trajectory.prompts)).rewards
        }
        let before = try await evaluate()
        var means: [Double] = []
        try await trainer.run(onEpoch: { means.append($0.rewardMean) })
        let after = try await evaluate()
        let differences = zip(after, before).map { $0 - $1 }
        let mean = differences.reduce(0, +) / Double(differences.count)
        let variance = differences.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(differences.count - 1)
        let standardError = (variance / Double(differences.count)).squareRoot()
        print("epoch reward means: \(means); paired gain \(mean) ± \(standardError) kB")
        XCTAssertGreaterThan(mean, 2 * standardError, "paired reward gain \(mean) ± \(standardError)")
    }
}
