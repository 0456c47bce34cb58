import DiffusionModels
import Foundation
import ImageCodecs
import Torch
import XCTest

/// The Swift pipeline against diffusers' StableDiffusionPipeline + DDIMScheduler
/// (eta 1, CFG 5, 10 steps, CPU generator seeded 1234, 16x16 images), recorded by
/// scripts/golden/sd_pipelines.py.
final class PipelineParityTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    private func maxAbs(_ a: Tensor, _ b: Tensor) -> Double {
        (a.to(dtype: .float64) - b.to(dtype: .float64)).abs().max().item()
    }

    private func run(_ name: String, from folder: URL? = nil) throws -> (Trajectory, [String: Tensor], URL) {
        let directory = Self.fixtures.appendingPathComponent(name)
        let model = try StableDiffusion.load(directory: folder ?? directory)
        let trajectory = TrajectorySampler(model: model).sample(
            prompts: ["a red circle", "two green squares"],
            options: SamplingOptions(steps: 10, guidanceScale: 5, eta: 1, height: 16, width: 16),
            generator: Generator(seed: 1234))
        let reference = try Safetensors.load(directory.appendingPathComponent("reference.safetensors"))
        return (trajectory, reference, directory)
    }

    func testTrajectoryAndImageEqualDiffusers() throws {
        for name in ["tiny-sd1", "tiny-sd2"] {
            let (trajectory, reference, _) = try run(name)
            let expectedLatents = try XCTUnwrap(reference["traj_latents"])  // [11, B, 4, 8, 8]
            XCTAssertEqual(trajectory.latents.shape, [2, 11, 4, 8, 8])
            XCTAssertEqual(
                maxAbs(trajectory.latents.select(dim: 1, index: 0), try XCTUnwrap(reference["traj_initial_latents"])),
                0,
                "\(name): initial latents")
            for step in 0...10 {
                let ours = trajectory.latents.select(dim: 1, index: step)
                let scale = max(expectedLatents[step].abs().max().item(), 1)
                XCTAssertLessThan(
                    maxAbs(ours, expectedLatents[step]) / scale, 1e-4, "\(name): latents after \(step) steps")
            }
            XCTAssertEqual(
                trajectory.timesteps.toArray(Int.self), try XCTUnwrap(reference["traj_timesteps"]).toArray(Int.self))
            let logProbs = try XCTUnwrap(reference["traj_log_probs"]).transposed(0, 1)  // [B, 10]
            XCTAssertLessThan(maxAbs(trajectory.logProbabilities, logProbs), 1e-4, "\(name): log-probs")
            XCTAssertLessThan(maxAbs(trajectory.images, try XCTUnwrap(reference["traj_image"])), 1e-4, "\(name): image")
        }
    }

    func testPNGsEqualDiffusersWithinOneLevel() throws {
        let (trajectory, _, directory) = try run("tiny-sd1")
        for index in 0..<2 {
            let ours = RGBImage(tensor: trajectory.images[index])
            let theirs = try RGBImage(contentsOfPNG: directory.appendingPathComponent("sample_\(index).png"))
            XCTAssertEqual(ours.width, theirs.width)
            let worst = zip(ours.pixels, theirs.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1, "image \(index): largest 8-bit difference \(worst)")
        }
    }

    /// A pipeline folder whose tokenizer is tokenizer.json and tokenizer_config.json
    /// alone, as transformers 5 saves it, samples the same trajectory as the legacy layout.
    func testAPipelineWithTokenizerJSONOnlySamplesTheSame() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-sd1-json-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("tiny-sd1"), to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        for file in ["vocab.json", "merges.txt", "special_tokens_map.json"] {
            try FileManager.default.removeItem(
                at: copy.appendingPathComponent("tokenizer").appendingPathComponent(file))
        }
        let (trajectory, reference, _) = try run("tiny-sd1", from: copy)
        let expected = try XCTUnwrap(reference["traj_latents"])
        let scale = max(expected[10].abs().max().item(), 1)
        XCTAssertLessThan(maxAbs(trajectory.latents.select(dim: 1, index: 10), expected[10]) / scale, 1e-4)
        XCTAssertLessThan(maxAbs(trajectory.images, try XCTUnwrap(reference["traj_image"])), 1e-4)
    }

    func testModelIndexErrorsNameTheFileAndComponent() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("index-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertThrowsError(try ModelIndex.load(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("model_index.json"), "\(error)")
        }
        let index =
            #"{"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2DConditionModel"], "#
            + #""vae": ["diffusers", "AutoencoderTiny"], "text_encoder": ["transformers", "CLIPTextModel"], "#
            + #""tokenizer": ["transformers", "CLIPTokenizer"], "scheduler": ["diffusers", "PNDMScheduler"]}"#
        try Data(index.utf8).write(to: directory.appendingPathComponent("model_index.json"))
        XCTAssertThrowsError(try ModelIndex.load(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("'vae' is a AutoencoderTiny"), "\(error)")
        }
    }
}
