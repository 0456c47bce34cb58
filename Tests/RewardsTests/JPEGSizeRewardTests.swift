import ImageCodecs
import Rewards
import Torch
import XCTest

final class JPEGSizeRewardTests: XCTestCase {
    func testCompressibilityIsMinusPILSizeInKB() async throws {
        let batch = try await RewardRegistry.standard.make("jpeg_compressibility").score(Fixtures.input())
        XCTAssertEqual(batch.rewards, Fixtures.names.map { -Double(Fixtures.jpegSize($0)) / 1000 })
        XCTAssertEqual(batch.info, Array(repeating: [:], count: Fixtures.names.count))
        XCTAssertEqual(batch.dropped, [])
    }

    func testIncompressibilityIsPlusPILSizeInKB() async throws {
        let batch = try await RewardRegistry.standard.make("jpeg_incompressibility").score(Fixtures.input())
        XCTAssertEqual(batch.rewards, Fixtures.names.map { Double(Fixtures.jpegSize($0)) / 1000 })
    }

    func testTensorInputGivesTheSameRewards() async throws {
        // A [B, 3, H, W] batch in [0, 1] converts back to the exact pixels (k / 255 rounds to k).
        let images = [Fixtures.image("gradient_64"), Fixtures.image("gradient_64")]
        let batch = Tensor.stack(images.map { $0.tensor() })
        let input = RewardInput(images: batch, prompts: ["a", "b"])
        XCTAssertEqual(input.images, images)
        let rewards = try await JPEGSizeReward(.compressibility).score(input).rewards
        let expected = -Double(Fixtures.jpegSize("gradient_64")) / 1000
        XCTAssertEqual(rewards, [expected, expected])
    }

    func testUsesNoLibtorch() {
        // So the trainer may overlap it with sampling.
        XCTAssertFalse(JPEGSizeReward(.compressibility).usesLibtorch)
        XCTAssertFalse(try RewardRegistry.standard.make("jpeg_incompressibility").usesLibtorch)
    }
}
