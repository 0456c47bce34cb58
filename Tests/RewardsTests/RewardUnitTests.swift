import XCTest

@testable import Rewards

final class RewardUnitTests: XCTestCase {
    func testJPEGRewardsAreInKilobytesAndTheAxisSaysWhichSign() throws {
        let registry = RewardRegistry.standard
        let compressibility = try registry.make("jpeg_compressibility")
        XCTAssertEqual(compressibility.unit, "kB", "CheckedReward passes the unit on")
        XCTAssertEqual(compressibility.axisLabel, "reward (−JPEG kB)")
        let incompressibility = try registry.make("jpeg_incompressibility")
        XCTAssertEqual(incompressibility.unit, "kB")
        XCTAssertEqual(incompressibility.axisLabel, "reward (JPEG kB)")
        XCTAssertEqual(try registry.make("diversity").unit, "cosine distance")
    }

    func testARewardThatSaysNothingHasNoUnitAndAPlainAxis() {
        let reward = CheckedReward(FixedReward(values: [1]))
        XCTAssertEqual(reward.unit, "")
        XCTAssertEqual(reward.axisLabel, "reward")
    }
}
