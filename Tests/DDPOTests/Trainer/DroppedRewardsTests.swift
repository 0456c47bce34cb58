import Foundation
import Rewards
import XCTest

@testable import DDPO

/// A reward that is never finite, for `nan_rewards: drop`.
private final class NaNReward: Reward, @unchecked Sendable {
    var name: String { "always_nan" }
    var usesLibtorch: Bool { false }

    func score(_ input: RewardInput) async throws -> RewardBatch {
        RewardBatch(rewards: Array(repeating: .nan, count: input.count))
    }
}

final class DroppedRewardsTests: TinyRunTestCase {
    /// Every sample of the epoch dropped: the epoch reports them and updates nothing,
    /// on one worker or two, instead of stopping the run.
    func testAnEpochWhoseRewardsAreAllDroppedUpdatesNothing() async throws {
        var registry = RewardRegistry.standard
        registry.register("always_nan", options: []) { _ in NaNReward() }
        for workers in [1, 2] {
            let yaml = tinyRunYAML(
                name: "dropped-\(workers)", runs: runs,
                [
                    "reward": "always_nan", "nan_rewards": "drop", "workers": "\(workers)"
                ])
            let trainer = try Trainer(
                configuration: try TrainingConfiguration.decode(yaml: yaml), catalogue: .tests(rewards: registry),
                logger: logger)
            let before = trainer.model.unet.trainableParameters().map { $0.tensor.bytes() }
            let report = try await trainer.runEpoch()
            XCTAssertEqual(report.droppedSamples, 4)
            XCTAssertEqual(report.rewards, [])
            XCTAssertEqual(report.update.optimizerSteps, 0)
            XCTAssertEqual(report.update.microBatches, 0)
            XCTAssertEqual(trainer.model.unet.trainableParameters().map { $0.tensor.bytes() }, before)
        }
    }
}
