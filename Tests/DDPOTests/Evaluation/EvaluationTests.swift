import DiffusionModels
import Foundation
import ImageCodecs
import Rewards
import Torch
import XCTest

@testable import DDPO

final class EvaluationTests: XCTestCase {
    /// Mean red level as the reward, and an extra that is 1 for the first prompt's images.
    private struct RednessReward: Reward {
        var name: String { "redness" }
        var usesLibtorch: Bool { false }
        func score(_ input: RewardInput) async throws -> RewardBatch {
            let rewards = input.images.map { image in
                stride(from: 0, to: image.pixels.count, by: 3).map { Double(image.pixels[$0]) }.reduce(0, +)
                    / Double(image.width * image.height)
            }
            let info = input.prompts.map { ["is_first": $0 == input.prompts[0] ? 1.0 : 0.0, "nan": Double.nan] }
            return RewardBatch(rewards: rewards, info: info)
        }
    }

    func testInfoMeansAverageEachKeyOverTheSamplesThatReportIt() {
        let means = Evaluation.means(of: [["a": 1, "b": .nan], ["a": 0], ["a": 0.5, "b": 2]])
        XCTAssertEqual(means?["a"] ?? .nan, 0.5, accuracy: 1e-12)
        XCTAssertEqual(means?["b"], 2, "the NaN is left out")
        XCTAssertNil(Evaluation.means(of: [[:], [:]]))
    }

    func testBatchedEvaluationIsReproducibleAndScoresEveryPrompt() async throws {
        let model = try StableDiffusion.load(directory: PolicyUpdateTests.tinySD1)
        let prompts = ["a red circle", "a blue square", "a red circle", "a green star", "a cat"]
        let options = SamplingOptions(steps: 3, guidanceScale: 5, eta: 1)
        let (first, firstImages) = try await Evaluation.run(
            model: model, prompts: prompts, seed: 3, options: options,
            reward: RednessReward(), epoch: 0, batchSize: 2)
        let (again, againImages) = try await Evaluation.run(
            model: model, prompts: prompts, seed: 3, options: options,
            reward: RednessReward(), epoch: 0, batchSize: 2)
        XCTAssertEqual(firstImages.count, 5, "the last, partial batch is sampled too")
        XCTAssertEqual(first.rewards.count, 5)
        XCTAssertEqual(firstImages, againImages, "same seed and batch size, same images")
        XCTAssertEqual(first, again)
        XCTAssertEqual(first.infoMeans?["is_first"] ?? .nan, 2.0 / 5.0, accuracy: 1e-12)
        XCTAssertNil(first.infoMeans?["nan"], "only NaNs: no mean")
        XCTAssertNotEqual(firstImages[0], firstImages[2], "a repeated prompt gets fresh noise")

        // Written and read back with its means.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evaluation-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try first.write(images: firstImages, to: directory)
        XCTAssertEqual(try Evaluation.readAll(in: directory), [first])
    }
}
