import DiffusionModels
import Foundation
import Pretraining
import Torch
import XCTest

final class PretrainingRunTests: XCTestCase {
    /// The tiny presets with a handful of steps: the folder `ddpo pretrain` writes
    /// loads with StableDiffusion.load and samples 64×64 images.
    func testRunWritesALoadableSamplableFolder() throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("pretrain-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: parent) }
        let output = parent.appendingPathComponent("shapes-tiny")
        var scale = 0.0
        let settings = PretrainingRun.Settings(
            vae: .init(steps: 2, batchSize: 4, seed: 1),
            denoiser: .init(steps: 2, batchSize: 4, seed: 1))
        try PretrainingRun.run(dataset: SolidColorDataset(), settings: settings, output: output) { event in
            if case .scalingFactor(let s) = event { scale = s }
        }
        XCTAssertGreaterThan(scale, 0)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: parent.path), ["shapes-tiny"],
            "no temporary folder left behind")

        let model = try StableDiffusion.load(directory: output)
        XCTAssertEqual(model.vae.configuration.scalingFactor, scale, accuracy: 1e-9)
        XCTAssertEqual(model.defaultImageSize, 64)
        XCTAssertEqual(model.tokenizer.tokenize("a red square").count, 3)
        let trajectory = TrajectorySampler(model: model).sample(
            prompts: ["a red square", "a blue square"],
            options: .init(steps: 2), generator: Generator(seed: 0))
        XCTAssertEqual(trajectory.images.shape, [2, 3, 64, 64])
        XCTAssertEqual(trajectory.latents.shape, [2, 3, 4, 16, 16])

        // Writing again (untrained this time) replaces the folder in place.
        let untrained = PretrainingRun.Settings(vae: .init(steps: 0, batchSize: 2), denoiser: .init(steps: 0))
        try PretrainingRun.run(dataset: SolidColorDataset(), settings: untrained, output: output)
        XCTAssertNotEqual(try StableDiffusion.load(directory: output).vae.configuration.scalingFactor, scale)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path), ["shapes-tiny"])
    }
}
