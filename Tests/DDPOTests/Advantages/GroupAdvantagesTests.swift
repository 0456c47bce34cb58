import XCTest

@testable import DDPO

final class GroupAdvantagesTests: XCTestCase {
    func testWorkedExampleWithZeroSpreadGroupSkippedAndCounted() throws {
        // Interleaved prompts, K = 2 each:
        //   a: samples 0, 2, rewards [1, 3]: mean 2, population std 1 -> A = [-1, 1] / (1 + 1e-6)
        //   b: samples 1, 3, rewards [4, 4]: spread 0 -> no signal, A = 0, skipped
        //   c: samples 4, 5, rewards [2, 6]: mean 4, population std 2 -> A = [-2, 2] / (2 + 1e-6)
        let result = try GroupAdvantages.compute(
            rewards: [1, 4, 3, 4, 2, 6],
            prompts: ["a", "b", "a", "b", "c", "c"])
        let expected = [-1 / (1 + 1e-6), 0, 1 / (1 + 1e-6), 0, -2 / (2 + 1e-6), 2 / (2 + 1e-6)]
        for (actual, wanted) in zip(result.advantages, expected) {
            XCTAssertEqual(actual, wanted, accuracy: 1e-14)
        }
        XCTAssertEqual(result.carriesSignal, [true, false, true, false, true, true])
        XCTAssertEqual(result.groupCount, 3)
        XCTAssertEqual(result.skippedGroupCount, 1)
        XCTAssertEqual(GroupAdvantages.stdEpsilon, 1e-6)
    }

    func testEqualValuesWhoseComputedStdIsNotZeroAreStillSkipped() throws {
        // 0.1 + 0.1 + 0.1 = 0.30000000000000004 in doubles, so the mean is not exactly
        // 0.1 and the computed std is a tiny non-zero number: the spread test
        // (max == min) must still call the group signal-free. A single sample is
        // also a zero-spread group.
        XCTAssertGreaterThan(RewardStatistics(of: [0.1, 0.1, 0.1]).std, 0)
        let result = try GroupAdvantages.compute(rewards: [0.1, 0.1, 0.1, 5], prompts: ["a", "a", "a", "b"])
        XCTAssertEqual(result.advantages, [0, 0, 0, 0])
        XCTAssertEqual(result.carriesSignal, [false, false, false, false])
        XCTAssertEqual(result.skippedGroupCount, 2)
    }

    func testMatchesPerPromptTrackerWhoseBufferHoldsExactlyOneGroup() throws {
        // With bufferSize = minCount = K and K samples per prompt, the tracker's
        // buffer is exactly this batch's group, so both strategies agree.
        let prompts = ["a", "b", "a", "b", "a", "b"]
        let rewards = [0.5, 2.0, 1.5, -1.0, 4.0, 0.25]
        var tracker = PerPromptStatTracker(bufferSize: 3, minCount: 3)
        let tracked = try tracker.update(prompts: prompts, rewards: rewards)
        XCTAssertEqual(try GroupAdvantages.compute(rewards: rewards, prompts: prompts).advantages, tracked)
    }

    func testNonFiniteRewardIsRejected() {
        XCTAssertThrowsError(try GroupAdvantages.compute(rewards: [1, 2, -.infinity], prompts: ["a", "a", "b"]))
    }
}
