import XCTest

@testable import DDPO

final class PromptGroupsTests: XCTestCase {
    func testGroupsInOrderOfFirstAppearance() {
        XCTAssertEqual(
            groupByPrompt(["b", "a", "b", "c", "a"]),
            [
                PromptGroup(prompt: "b", indices: [0, 2]),
                PromptGroup(prompt: "a", indices: [1, 4]),
                PromptGroup(prompt: "c", indices: [3])
            ])
        XCTAssertEqual(groupByPrompt([]), [])
    }
}
