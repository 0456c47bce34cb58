import ImageCodecs
import RunLogging
import XCTest

@testable import DDPO

final class EpochReportCaptionsTests: XCTestCase {
    private func report(images: Int, prompts: [String], rewards: [Double], dropped: Int = 0) -> EpochReport {
        let image = RGBImage(width: 2, height: 2, pixels: [UInt8](repeating: 0, count: 12))
        return EpochReport(
            epoch: 0, globalStep: 1, prompts: prompts, rewards: rewards, advantages: rewards.map { _ in 0 },
            droppedSamples: dropped, update: PolicyUpdateStatistics(steps: []), samplingSeconds: 0,
            rewardWaitSeconds: 0, trainingSeconds: 0, images: Array(repeating: image, count: images))
    }

    func testRecordedPromptsAndRewardsOfTheImagesAreTheirCaptions() {
        var epoch = report(images: 2, prompts: ["b", "c"], rewards: [2, 3], dropped: 1)
        epoch.imagePrompts = ["a", "b"]
        epoch.imageRewards = [.nan, 2]
        let captions = epoch.imageCaptions
        XCTAssertEqual(captions?.map(\.prompt), ["a", "b"])
        XCTAssertTrue(captions?[0].reward.isNaN == true, "the dropped sample's reward")
    }

    func testWithoutThemTheEpochsSamplesServeOnlyWhenNothingWasDropped() {
        let whole = report(images: 2, prompts: ["a", "b", "c"], rewards: [1, 2, 3])
        XCTAssertEqual(
            whole.imageCaptions, [SampleCaption(prompt: "a", reward: 1), SampleCaption(prompt: "b", reward: 2)])
        // A dropped sample shifts the kept list against the images: no captions rather than wrong ones.
        XCTAssertNil(report(images: 2, prompts: ["b", "c"], rewards: [2, 3], dropped: 1).imageCaptions)
    }
}
