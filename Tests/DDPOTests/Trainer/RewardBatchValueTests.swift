import Foundation
import Logging
import Rewards
import XCTest

@testable import DDPO

/// A distribution-level stand-in: the k-th call reports batch value `values[k]`.
private final class ScriptedBatchReward: Reward, @unchecked Sendable {
    let values: [Double]
    private var calls = 0
    private let lock = NSLock()

    init(values: [Double]) { self.values = values }

    var name: String { "scripted" }
    var usesLibtorch: Bool { true }  // scored in sampling order, so the k-th call is batch k

    func score(_ input: RewardInput) async throws -> RewardBatch {
        let value: Double = lock.withLock {
            defer { calls += 1 }
            return values[calls]
        }
        return RewardBatch(rewards: Array(repeating: value, count: input.count), batchValue: value)
    }
}

final class RewardBatchValueTests: TinyRunTestCase {
    func testTheEpochLogsTheMeanOfTheSamplingBatchesValues() async throws {
        let yaml = tinyRunYAML(
            name: "batch-value", runs: runs,
            [
                "epochs": "1", "reward": "scripted",
                "sample": "{num_steps: 2, batch_size: 2, num_batches_per_epoch: 2}",
                "train": "{batch_size: 2, gradient_accumulation_steps: 1}"
            ])
        var registry = RewardRegistry()
        registry.register("scripted", options: []) { _ in ScriptedBatchReward(values: [0.2, 0.6]) }
        let trainer = try Trainer(
            configuration: TrainingConfiguration.decode(yaml: yaml), catalogue: .tests(rewards: registry),
            logger: logger)
        let report = try await trainer.runEpoch()
        XCTAssertEqual(report.rewardBatchValue!, 0.4, accuracy: 1e-12)
        XCTAssertEqual(report.scalars["reward_batch_value"]!, 0.4, accuracy: 1e-12)
        // Shared values across the two batches: the first batch's samples below the mean, the second's above.
        XCTAssertEqual(report.rewards, [0.2, 0.2, 0.6, 0.6])
        XCTAssertEqual(report.advantages.map { $0.rounded() }, [-1, -1, 1, 1])
    }
}
