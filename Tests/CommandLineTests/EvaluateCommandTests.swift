import Foundation
import ImageCodecs
import TestSupport
import XCTest

/// `ddpo evaluate` on the tiny SD1 pipeline: fixed seeds give the same rewards every
/// time, and the grid and JSON land in --out.
final class EvaluateCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-evaluate-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private var model: String { Fixtures.root.appendingPathComponent("tiny-sd1").path }

    private func writePrompts() throws -> String {
        let url = folder.appendingPathComponent("prompts.txt")
        try "# held-out prompts\na red circle\n\n  two green squares  \n# a comment\na cat on a mat\n"
            .write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private func evaluate(out: String, prompts: String) throws -> DDPOExecutable.Result {
        try DDPOExecutable.run([
            "evaluate", "--model", model, "--prompts", prompts, "--reward", "jpeg_compressibility",
            "--seed", "7", "--steps", "4", "--threads", "1", "--out", out
        ])
    }

    /// The per-prompt lines of stdout: "reward<TAB>prompt".
    private func rewardLines(_ stdout: String) -> [String] {
        stdout.split(separator: "\n").map(String.init).filter { $0.contains("\t") && !$0.hasPrefix("reward\t") }
    }

    func testSameSeedSameRewardsAndTheGridIsWritten() throws {
        let prompts = try writePrompts()
        let first = try evaluate(out: folder.appendingPathComponent("a").path, prompts: prompts)
        XCTAssertEqual(first.status, 0, first.output)
        let second = try evaluate(out: folder.appendingPathComponent("b").path, prompts: prompts)
        XCTAssertEqual(second.status, 0, second.output)

        let lines = rewardLines(first.stdout)
        XCTAssertEqual(
            lines.map { $0.split(separator: "\t")[1] }, ["a red circle", "two green squares", "a cat on a mat"])
        XCTAssertEqual(lines, rewardLines(second.stdout), "the same seed must give the same rewards")
        let rewards = lines.map { Double($0.split(separator: "\t")[0])! }
        XCTAssertTrue(rewards.allSatisfy(\.isFinite))
        let mean = rewards.reduce(0, +) / 3
        let meanLine = try XCTUnwrap(first.stdout.split(separator: "\n").first { $0.hasPrefix("mean reward: ") })
        let printed = try XCTUnwrap(Double(meanLine.dropFirst("mean reward: ".count).split(separator: " ")[0]))
        XCTAssertEqual(printed, mean, accuracy: 1e-12)

        let out = folder.appendingPathComponent("a")
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("evaluation.json")))
            as? [String: Any]
        XCTAssertEqual(json?["prompts"] as? [String], ["a red circle", "two green squares", "a cat on a mat"])
        XCTAssertEqual(json?["rewards"] as? [Double], rewards)
        XCTAssertEqual(json?["seed"] as? Int, 7)
        XCTAssertEqual(json?["grid"] as? String, "evaluation.png")
        let grid = try RGBImage(contentsOfPNG: out.appendingPathComponent("evaluation.png"))
        let tile = try XCTUnwrap(json?["tileWidth"] as? Int)
        XCTAssertEqual(grid.width, 3 * tile + 4 * 2, "three tiles in one row, 2 px padding")
        // Same noise, same pixels.
        XCTAssertEqual(try RGBImage(contentsOfPNG: folder.appendingPathComponent("b/evaluation.png")), grid)
    }

    func testMissingPromptsFileAndLoRAAreNamed() throws {
        let noPrompts = try evaluate(out: folder.path, prompts: "/nonexistent/prompts.txt")
        XCTAssertNotEqual(noPrompts.status, 0)
        XCTAssertTrue(noPrompts.output.contains("/nonexistent/prompts.txt"), noPrompts.output)

        let noLoRA = try DDPOExecutable.run([
            "evaluate", "--model", model, "--prompts", writePrompts(),
            "--reward", "jpeg_compressibility", "--lora", folder.path
        ])
        XCTAssertNotEqual(noLoRA.status, 0)
        XCTAssertTrue(noLoRA.output.contains("pytorch_lora_weights.safetensors"), noLoRA.output)

        let badReward = try DDPOExecutable.run([
            "evaluate", "--model", model, "--prompts", writePrompts(),
            "--reward", "sharpness"
        ])
        XCTAssertNotEqual(badReward.status, 0)
        XCTAssertTrue(badReward.output.contains("sharpness"), badReward.output)
    }

    func testRunOfAFullFineTuneIsEvaluatedWithItsWeights() throws {
        let config = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("configs/tiny-compressibility.yaml")
        let train = try DDPOExecutable.run([
            "train", "--config", config.path, "--set", "model=\(model)", "--set", "log_dir=\(folder.path)",
            "--set", "run_name=full", "--set", "use_lora=false", "--set", "train.learning_rate=1e-2",
            "--set", "epochs=1", "--set", "threads=1", "--set", "sample.num_steps=4"
        ])
        XCTAssertEqual(train.status, 0, train.output)
        let run = folder.appendingPathComponent("full").path
        let prompts = try writePrompts()
        let base = try evaluate(out: folder.appendingPathComponent("base").path, prompts: prompts)
        let tuned = try DDPOExecutable.run([
            "evaluate", "--model", model, "--run", run, "--prompts", prompts,
            "--reward", "jpeg_compressibility", "--seed", "7", "--steps", "4",
            "--threads", "1", "--out", folder.appendingPathComponent("tuned").path
        ])
        XCTAssertEqual(tuned.status, 0, tuned.output)
        XCTAssertNotEqual(rewardLines(base.stdout), rewardLines(tuned.stdout), "the fine-tuned UNet draws other images")
        // evaluation.json says which epoch's weights it scored: the checkpoint's, 0 for the base model.
        func epoch(_ name: String) throws -> Int? {
            let data = try Data(contentsOf: folder.appendingPathComponent("\(name)/evaluation.json"))
            return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["epoch"] as? Int
        }
        XCTAssertEqual(try epoch("tuned"), 1)
        XCTAssertEqual(try epoch("base"), 0)
        let both = try DDPOExecutable.run([
            "evaluate", "--model", model, "--run", run, "--lora", run,
            "--prompts", prompts, "--reward", "jpeg_compressibility"
        ])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.output.contains("not both"), both.output)
    }

    func testShapesAlignmentPrintsTheRecognisersAccuracy() throws {
        let bundled = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("models/shapes-tiny")
        let result = try DDPOExecutable.run([
            "evaluate", "--model", bundled.path, "--prompts", "shapes_held_out",
            "--reward", "shapes_alignment", "--images-per-prompt", "1",
            "--batch-size", "24", "--steps", "2", "--threads", "1",
            "--out", folder.appendingPathComponent("shapes").path
        ])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.stdout.contains("over 48 images"), result.stdout)
        XCTAssertTrue(result.stdout.contains("mean match_all: "), result.stdout)
        XCTAssertTrue(
            result.stdout.contains("recogniser accuracy (shape, colour, count and background all right): "),
            result.stdout)
    }
}
