import XCTest

@testable import DDPO

final class AdvantageEstimatorTests: XCTestCase {
    func testStrategiesByName() throws {
        XCTAssertEqual(try AdvantageStrategy(name: "per_prompt"), .perPrompt)
        XCTAssertEqual(try AdvantageStrategy(name: "batch"), .batch)
        XCTAssertEqual(try AdvantageStrategy(name: "group"), .group)
        XCTAssertThrowsError(try AdvantageStrategy(name: "perPrompt")) { error in
            XCTAssertEqual(
                "\(error)",
                "unknown advantage strategy \"perPrompt\"; "
                    + "expected one of \"per_prompt\", \"batch\", \"group\"")
        }
    }

    func testDefaults() {
        let estimator = AdvantageEstimator()
        XCTAssertEqual(estimator.strategy, .perPrompt)
        XCTAssertEqual(estimator.advClipMax, 5)
        XCTAssertEqual(estimator.statTracker.bufferSize, 16)
        XCTAssertEqual(estimator.statTracker.minCount, 16)
    }

    func testClip() {
        XCTAssertEqual(AdvantageEstimator.clip([-7, -5, 0.5, 5, 7.5], to: 5), [-5, -5, 0.5, 5, 5])
    }

    func testBatchAdvantageAboveLimitIsClipped() throws {
        // 36 rewards of 0 and one of 1 (n = 37): mean 1/37, population variance
        // (1/37)(36/37), std 6/37. The 1 gets (36/37) / (6/37) = 6 -> clipped to 5;
        // each 0 gets (-1/37) / (6/37) = -1/6 (the 1e-8 epsilon moves these by ~1e-8).
        var estimator = AdvantageEstimator(strategy: .batch)
        let rewards = [Double](repeating: 0, count: 36) + [1]
        let result = try estimator.estimate(rewards: rewards, prompts: rewards.indices.map { "prompt \($0)" })
        XCTAssertEqual(result.advantages[36], 5)
        for advantage in result.advantages[0..<36] {
            XCTAssertEqual(advantage, -1.0 / 6.0, accuracy: 1e-7)
        }
        XCTAssertEqual(result.clippedCount, 1)
        XCTAssertEqual(result.carriesSignal, [Bool](repeating: true, count: 37))
        XCTAssertEqual(result.skippedGroupCount, 0)
    }

    func testPerPromptUsesAndUpdatesItsTracker() throws {
        var estimator = AdvantageEstimator(
            strategy: .perPrompt,
            statTracker: PerPromptStatTracker(bufferSize: 2, minCount: 2))
        // a = [1, 3]: mean 2, std 1 -> A = [-1, 1] / (1 + 1e-6); nothing to clip.
        let result = try estimator.estimate(rewards: [1, 3], prompts: ["a", "a"])
        XCTAssertEqual(result.advantages[0], -1 / (1 + 1e-6), accuracy: 1e-14)
        XCTAssertEqual(result.advantages[1], 1 / (1 + 1e-6), accuracy: 1e-14)
        XCTAssertEqual(result.clippedCount, 0)
        XCTAssertEqual(estimator.statTracker.buffers, ["a": [1, 3]])
    }

    func testGroupReportsSkippedGroups() throws {
        var estimator = AdvantageEstimator(strategy: .group, advClipMax: 0.5)
        // a: [0, 2] -> A = [-1, 1] / (1 + 1e-6), clipped to ±0.5; b: [3, 3] skipped.
        let result = try estimator.estimate(rewards: [0, 2, 3, 3], prompts: ["a", "a", "b", "b"])
        XCTAssertEqual(result.advantages, [-0.5, 0.5, 0, 0])
        XCTAssertEqual(result.carriesSignal, [true, true, false, false])
        XCTAssertEqual(result.skippedGroupCount, 1)
        XCTAssertEqual(result.clippedCount, 2)
    }

    func testNaNRewardNamesSampleAndPromptAndLeavesTrackerUntouched() {
        for strategy in AdvantageStrategy.allCases {
            var estimator = AdvantageEstimator(strategy: strategy)
            XCTAssertThrowsError(try estimator.estimate(rewards: [0.5, 1, .nan], prompts: ["a cat", "a cat", "a dog"]))
            {
                XCTAssertEqual("\($0)", "reward nan of sample 2 (prompt \"a dog\") is not finite")
            }
            XCTAssertTrue(estimator.statTracker.buffers.isEmpty)
        }
    }
}
