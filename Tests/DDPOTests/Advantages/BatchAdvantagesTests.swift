import XCTest

@testable import DDPO

final class BatchAdvantagesTests: XCTestCase {
    func testWorkedExample() throws {
        // [1, 2, 3, 4]: mean 2.5, population std √1.25 = 1.118033988749895 (ddof 0);
        // A = [-1.5, -0.5, 0.5, 1.5] / (1.118033988749895 + 1e-8). The prompts play no part.
        let advantages = try BatchAdvantages.compute(rewards: [1, 2, 3, 4], prompts: ["a", "a", "b", "c"])
        let scale = 1.118033988749895 + 1e-8
        for (actual, expected) in zip(advantages, [-1.5 / scale, -0.5 / scale, 0.5 / scale, 1.5 / scale]) {
            XCTAssertEqual(actual, expected, accuracy: 1e-14)
        }
        XCTAssertEqual(BatchAdvantages.stdEpsilon, 1e-8)
    }

    func testEqualRewardsAndEmptyBatch() throws {
        XCTAssertEqual(try BatchAdvantages.compute(rewards: [3, 3, 3], prompts: ["a", "b", "c"]), [0, 0, 0])
        XCTAssertEqual(try BatchAdvantages.compute(rewards: [], prompts: []), [])
    }

    func testNaNRewardIsRejected() {
        XCTAssertThrowsError(try BatchAdvantages.compute(rewards: [1, .nan], prompts: ["a cat", "a dog"])) { error in
            guard case AdvantageError.nonFiniteReward(let index, let prompt, _) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(index, 1)
            XCTAssertEqual(prompt, "a dog")
        }
    }
}
