import DiffusionModels
import Foundation
import Rewards
import ShapesWorld
import Torch
import XCTest

@testable import DDPO

/// The committed tiny model (models/shapes-tiny) is what `make demo` trains: it
/// must load strictly with its recogniser and still follow prompts it never saw.
final class BundledModelTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models/shapes-tiny")

    func testBundledModelFollowsHeldOutCaptions() async throws {
        let model = try StableDiffusion.load(directory: Self.directory)
        let reward = ShapesAlignmentReward(
            recogniser: try ShapesRecogniser.load(from: Self.directory.appendingPathComponent("recogniser")))
        // One caption of each held-out pair per background and count, 16 in all.
        let captions = ShapesWorld.heldOutCaptions
        let prompts = stride(from: 0, to: captions.count, by: 3).map { captions[$0] }
        XCTAssertEqual(prompts.count, 16)
        let (evaluation, images) = try await Evaluation.run(
            model: model, prompts: prompts, seed: 0, options: SamplingOptions(steps: 20, guidanceScale: 5, eta: 1),
            reward: reward, epoch: 0)
        XCTAssertEqual(images.first?.width, 64)
        // Measured with `ddpo evaluate` on all 48 captions × 2: 79 % all four right, shape and colour 99–100 %.
        let accuracy = try XCTUnwrap(evaluation.infoMeans?["match_all"])
        let colour = try XCTUnwrap(evaluation.infoMeans?["match_colour"])
        XCTAssertGreaterThanOrEqual(accuracy, 0.5, "recogniser accuracy on the bundled model's samples")
        XCTAssertGreaterThanOrEqual(colour, 0.85)
    }
}
