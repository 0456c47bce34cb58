import Rewards
import XCTest

@testable import DDPO

/// How a distribution-level reward's per-sample rewards become advantages
/// (docs/distribution-rewards.md), through the estimator the trainer uses.
final class DistributionRewardAdvantagesTests: XCTestCase {
    /// The diversity example of DiversityRewardTests: images 1 and 2 duplicate each
    /// other, image 3 is orthogonal to both (d12 = 0, d13 = d23 = 1).
    private let distances: [[Double]] = [[0, 0, 1], [0, 0, 1], [1, 1, 0]]

    func testLeaveOneOutRewardsTheDistinctImage() throws {
        let (_, rewards) = BatchCredit.leaveOneOut.rewards(count: 3) {
            DiversityReward.meanPairwiseDistance(self.distances, $0)
        }
        // Rewards [0, 0, 2]: mean 2/3, population std √((4/9 + 4/9 + 16/9) / 3) = √(8/9);
        // A = (r − 2/3) / √(8/9) = [−1/√2, −1/√2, √2].
        var estimator = AdvantageEstimator(strategy: .batch)
        let advantages = try estimator.estimate(rewards: rewards, prompts: ["a", "b", "c"]).advantages
        XCTAssertEqual(advantages[0], -1 / 2.0.squareRoot(), accuracy: 1e-7)
        XCTAssertEqual(advantages[1], -1 / 2.0.squareRoot(), accuracy: 1e-7)
        XCTAssertEqual(advantages[2], 2.0.squareRoot(), accuracy: 1e-7)
    }

    func testPseudoValuesAndBareDifferencesGiveTheSameAdvantagesWithinABatch() throws {
        let value = { DiversityReward.meanPairwiseDistance(self.distances, $0) }
        let (whole, pseudo) = BatchCredit.leaveOneOut.rewards(count: 3, value: value)
        let bare = (0..<3).map { i in whole - value((0..<3).filter { $0 != i }) }  // [−1/3, −1/3, 2/3]
        XCTAssertEqual(bare[2], 2.0 / 3, accuracy: 1e-12)
        for strategy in [AdvantageStrategy.batch, .perPrompt] {
            var a = AdvantageEstimator(strategy: strategy)
            var b = AdvantageEstimator(strategy: strategy)
            let prompts = ["p", "p", "p"]
            let fromPseudo = try a.estimate(rewards: pseudo, prompts: prompts).advantages
            let fromBare = try b.estimate(rewards: bare, prompts: prompts).advantages
            for (x, y) in zip(fromPseudo, fromBare) { XCTAssertEqual(x, y, accuracy: 1e-5, "\(strategy)") }
        }
    }

    func testSharedCreditOnlyDiffersAcrossSamplingBatches() throws {
        // One sampling batch: identical rewards, zero spread, advantage 0 for all.
        let (_, one) = BatchCredit.shared.rewards(count: 3) { DiversityReward.meanPairwiseDistance(self.distances, $0) }
        var estimator = AdvantageEstimator(strategy: .batch)
        XCTAssertEqual(try estimator.estimate(rewards: one, prompts: ["a", "b", "c"]).advantages, [0, 0, 0])
        // Two sampling batches merged as the trainer merges them, V = 0.2 and 0.6:
        // mean 0.4, std 0.2, so A = −1 for the first batch's samples and +1 for the second's.
        let merged =
            BatchCredit.shared.rewards(count: 2) { _ in 0.2 }.rewards
            + BatchCredit.shared.rewards(count: 2) { _ in 0.6 }.rewards
        let advantages = try estimator.estimate(rewards: merged, prompts: ["a", "b", "c", "d"]).advantages
        for (a, expected) in zip(advantages, [-1.0, -1, 1, 1]) { XCTAssertEqual(a, expected, accuracy: 1e-6) }
        // Group standardisation within one batch's group: zero spread, no signal.
        var groups = AdvantageEstimator(strategy: .group)
        let grouped = try groups.estimate(rewards: [0.2, 0.2], prompts: ["a", "a"])
        XCTAssertEqual(grouped.advantages, [0, 0])
        XCTAssertEqual(grouped.carriesSignal, [false, false])
    }
}
