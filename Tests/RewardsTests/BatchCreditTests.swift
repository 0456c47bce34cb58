import Rewards
import XCTest

final class BatchCreditTests: XCTestCase {
    /// V of a subset as the mean of per-sample values (0 for the empty set).
    private func meanValue(_ v: [Double]) -> ([Int]) -> Double {
        { indices in indices.isEmpty ? 0 : indices.map { v[$0] }.reduce(0, +) / Double(indices.count) }
    }

    func testLeaveOneOutOfAMeanGivesBackEachSamplesOwnValue() {
        // V = mean of [1, 4, 7] = 4. Leaving out 1: mean(4, 7) = 5.5, r = 3·4 − 2·5.5 = 1;
        // leaving out 4: 4, r = 12 − 8 = 4; leaving out 7: 2.5, r = 12 − 5 = 7.
        let (value, rewards) = BatchCredit.leaveOneOut.rewards(count: 3, value: meanValue([1, 4, 7]))
        XCTAssertEqual(value, 4)
        XCTAssertEqual(rewards[0], 1, accuracy: 1e-12)
        XCTAssertEqual(rewards[1], 4, accuracy: 1e-12)
        XCTAssertEqual(rewards[2], 7, accuracy: 1e-12)
    }

    func testLeaveOneOutOfASingleSampleIsTheBatchValue() {
        // n = 1: r = 1·V(B) − 0·V(∅).
        let (value, rewards) = BatchCredit.leaveOneOut.rewards(count: 1) { $0.isEmpty ? 100 : 3 }
        XCTAssertEqual(value, 3)
        XCTAssertEqual(rewards, [3])
    }

    func testSharedGivesEverySampleTheBatchValue() {
        var calls: [[Int]] = []
        let (value, rewards) = BatchCredit.shared.rewards(count: 3) {
            calls.append($0)
            return 0.25
        }
        XCTAssertEqual(value, 0.25)
        XCTAssertEqual(rewards, [0.25, 0.25, 0.25])
        XCTAssertEqual(calls, [[0, 1, 2]], "shared needs V of the whole batch only")
    }

    func testOption() throws {
        func credit(_ values: [String: String]) throws -> BatchCredit {
            try BatchCredit(options: RewardOptions(reward: "diversity", values: values))
        }
        XCTAssertEqual(try credit([:]), .leaveOneOut)
        XCTAssertEqual(try credit(["credit": "shared"]), .shared)
        XCTAssertEqual(try credit(["credit": "leave_one_out"]), .leaveOneOut)
        XCTAssertThrowsError(try credit(["credit": "loo"])) { error in
            XCTAssertEqual(
                "\(error)",
                "reward diversity: option credit = \"loo\" is invalid; "
                    + "expected one of leave_one_out, shared")
        }
    }
}
