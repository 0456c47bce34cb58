import Rewards
import XCTest

final class CheckedRewardTests: XCTestCase {
    private let input = RewardInput(
        images: Array(repeating: Fixtures.image("noise_16"), count: 3),
        prompts: ["a cat", "a dog", "a horse"])

    func testFiniteRewardsPassUnchanged() async throws {
        let batch = try await CheckedReward(FixedReward(values: [1, -2, 3], info: [["x": 1], [:], [:]])).score(input)
        XCTAssertEqual(batch, RewardBatch(rewards: [1, -2, 3], info: [["x": 1], [:], [:]]))
        XCTAssertEqual(batch.keptIndices, [0, 1, 2])
    }

    func testNaNIsAnErrorNamingTheSampleAndPrompt() async {
        for bad in [Double.nan, .infinity, -.infinity] {
            do {
                _ = try await CheckedReward(FixedReward(values: [1, bad, 3])).score(input)
                XCTFail("no error for \(bad)")
            } catch RewardError.nonFiniteReward(let reward, let index, let prompt, let value) {
                XCTAssertEqual([reward, "\(index)", prompt, "\(value)"], ["fixed", "1", "a dog", "\(bad)"])
            } catch {
                XCTFail("\(error)")
            }
        }
    }

    func testDropModeReportsTheDroppedSamples() async throws {
        let reward = CheckedReward(FixedReward(values: [.nan, 2, .infinity]), nonFinite: .drop)
        let batch = try await reward.score(input)
        XCTAssertEqual(batch.dropped, [0, 2])
        XCTAssertEqual(batch.droppedCount, 2)
        XCTAssertEqual(batch.keptIndices, [1])
        XCTAssertEqual(batch.keptRewards, [2])
        XCTAssertTrue(batch.rewards[0].isNaN, "a dropped sample keeps its value, not a made-up one")
    }

    func testWrongCountIsAnError() async {
        do {
            _ = try await CheckedReward(FixedReward(values: [1, 2])).score(input)
            XCTFail("no error")
        } catch {
            XCTAssertEqual("\(error)", "reward fixed returned 2 entries in rewards for a batch of 3 images")
        }
        do {
            _ = try await CheckedReward(FixedReward(values: [1, 2, 3], info: [[:]])).score(input)
            XCTFail("no error")
        } catch {
            XCTAssertEqual("\(error)", "reward fixed returned 1 entries in info for a batch of 3 images")
        }
    }
}
