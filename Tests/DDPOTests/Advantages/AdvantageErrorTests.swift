import XCTest

@testable import DDPO

final class AdvantageErrorTests: XCTestCase {
    func testValidationNamesTheFirstNonFiniteReward() {
        XCTAssertNoThrow(try validateRewards([1, -2, 0], prompts: ["a", "b", "c"]))
        XCTAssertNoThrow(try validateRewards([], prompts: []))
        XCTAssertThrowsError(try validateRewards([1, -.infinity, .nan], prompts: ["a", "a red car", "c"])) { error in
            guard case AdvantageError.nonFiniteReward(let index, let prompt, let reward) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(index, 1)
            XCTAssertEqual(prompt, "a red car")
            XCTAssertEqual(reward, -.infinity)
            XCTAssertEqual("\(error)", "reward -inf of sample 1 (prompt \"a red car\") is not finite")
        }
    }

    func testDescriptions() {
        XCTAssertEqual("\(AdvantageError.invalidTrackerState("why"))", "invalid per-prompt stat tracker state: why")
        XCTAssertTrue("\(AdvantageError.unknownStrategy("x"))".hasPrefix("unknown advantage strategy \"x\""))
    }
}
