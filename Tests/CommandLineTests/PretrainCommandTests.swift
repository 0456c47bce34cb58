import DiffusionModels
import Foundation
import Torch
import XCTest

/// `ddpo pretrain` on the shapes world with a handful of steps: the folder it
/// writes loads, samples, and serves the shapes_alignment reward to `ddpo evaluate`.
final class PretrainCommandTests: XCTestCase {
    func testPretrainWritesAPipelineAndRecogniserThatTheOtherCommandsUse() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("pretrain-\(UUID())")
        defer { try? FileManager.default.removeItem(at: work) }
        let model = work.appendingPathComponent("model")
        let pretrain = try DDPOExecutable.run([
            "pretrain", "--out", model.path, "--vae-steps", "2", "--unet-steps", "2",
            "--recogniser-steps", "2", "--batch", "4", "--threads", "1"
        ])
        XCTAssertEqual(pretrain.status, 0, pretrain.output)
        for component in ["model_index.json", "unet", "vae", "text_encoder", "tokenizer", "scheduler", "recogniser"] {
            XCTAssertTrue(
                FileManager.default.fileExists(atPath: model.appendingPathComponent(component).path), component)
        }
        let pipeline = try StableDiffusion.load(directory: model)
        XCTAssertEqual(pipeline.defaultImageSize, 64)
        // Every word of the world is one token.
        XCTAssertEqual(pipeline.tokenizer.encode("two green squares on a white background").count, 2 + 7)

        let prompts = work.appendingPathComponent("prompts.txt")
        try "a red circle on a white background\n".write(to: prompts, atomically: true, encoding: .utf8)
        let evaluate = try DDPOExecutable.run([
            "evaluate", "--model", model.path, "--prompts", prompts.path,
            "--reward", "shapes_alignment", "--steps", "2", "--threads", "1",
            "--out", work.appendingPathComponent("evaluation").path
        ])
        XCTAssertEqual(evaluate.status, 0, evaluate.output)
        XCTAssertTrue(evaluate.output.contains("mean reward"), evaluate.output)
    }

    /// `--world compositional`: the tokenizer has the relation words as single
    /// tokens, the recogniser has relation heads, and a relation caption is scored.
    func testPretrainOnTheCompositionalWorldWritesARelationTokenizerAndRecogniser() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("pretrain-\(UUID())")
        defer { try? FileManager.default.removeItem(at: work) }
        let model = work.appendingPathComponent("model")
        let pretrain = try DDPOExecutable.run([
            "pretrain", "--world", "compositional", "--exclude-held-out", "--out", model.path,
            "--vae-steps", "2", "--unet-steps", "2", "--recogniser-steps", "2", "--batch", "4", "--threads", "1"
        ])
        XCTAssertEqual(pretrain.status, 0, pretrain.output)
        XCTAssertTrue(pretrain.output.contains("relation"), pretrain.output)
        let pipeline = try StableDiffusion.load(directory: model)
        XCTAssertEqual(
            pipeline.tokenizer.encode("a red circle left of a blue square on a white background").count, 2 + 12)
        XCTAssertEqual(pipeline.tokenizer.encode("four green stars above a gray background").count, 2 + 7)
        let recogniserConfig = try String(
            contentsOf: model.appendingPathComponent("recogniser/config.json"), encoding: .utf8)
        XCTAssertTrue(recogniserConfig.contains("\"relations\" : true"), recogniserConfig)

        let evaluate = try DDPOExecutable.run([
            "evaluate", "--model", model.path, "--prompts", "shapes_relations_held_out",
            "--reward", "shapes_alignment", "--steps", "2", "--threads", "1", "--batch-size", "64",
            "--out", work.appendingPathComponent("evaluation").path
        ])
        XCTAssertEqual(evaluate.status, 0, evaluate.output)
        XCTAssertTrue(evaluate.output.contains("match_relation"), evaluate.output)
    }

    func testPretrainRefusesAnUnknownWorld() throws {
        let result = try DDPOExecutable.run(["pretrain", "--world", "cubes", "--out", "/nonexistent/x"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("compositional"), result.output)
    }
}
