import DDPO
import Foundation
import TestSupport
import XCTest

/// `ddpo config`: every key with its default and meaning, the same as the committed
/// docs/configuration.md, and `--check`, which validates a configuration without
/// training and prints it whole.
final class ConfigCommandTests: XCTestCase {
    private let packageRoot = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()

    func testDefaultsListEveryKeyWithItsDefault() throws {
        let result = try DDPOExecutable.run(["config", "--defaults"])
        XCTAssertEqual(result.status, 0, result.output)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, ConfigurationReference.entries.count + 1, "a header and one line per key")
        let learningRate = try XCTUnwrap(lines.first { $0.hasPrefix("train.learning_rate ") })
        XCTAssertTrue(learningRate.contains(" 0.0003 "), learningRate)
        XCTAssertTrue(learningRate.contains("AdamW step size"), learningRate)
        XCTAssertTrue(lines.contains { $0.hasPrefix("model ") && $0.contains("(default: required)") })
    }

    /// docs/configuration.md is the command's output, so it cannot go stale: after a
    /// change to the configuration, `ddpo config --defaults --markdown > docs/configuration.md`.
    func testTheCommittedReferenceIsTheCommandsOutput() throws {
        let result = try DDPOExecutable.run(["config", "--defaults", "--markdown"])
        XCTAssertEqual(result.status, 0, result.output)
        let committed = try String(
            contentsOf: packageRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        XCTAssertEqual(
            committed, result.stdout,
            "docs/configuration.md is stale: regenerate it with `ddpo config --defaults --markdown > docs/configuration.md`"
        )
    }

    func testCheckPrintsTheEffectiveConfigurationThatTrainsTheSame() throws {
        let result = try DDPOExecutable.run(
            [
                "config", "--check", "configs/tiny-compressibility.yaml", "--set", "epochs=7",
                "--set", "run_name=checked"
            ], in: packageRoot)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.stderr.contains("configs/tiny-compressibility.yaml: valid"), result.stderr)
        let printed = try TrainingConfiguration.decode(yaml: result.stdout)
        let expected = try TrainingConfiguration.load(
            yaml: packageRoot.appendingPathComponent("configs/tiny-compressibility.yaml"),
            overrides: ["epochs=7", "run_name=checked"])
        XCTAssertEqual(printed, expected, "the printed YAML is the configuration train would use")
        XCTAssertTrue(result.stdout.contains("resume: null"), "every key is written: \(result.stdout)")
    }

    func testCheckRefusesWhatTrainWouldRefuse() throws {
        func check(_ settings: [String]) throws -> DDPOExecutable.Result {
            try DDPOExecutable.run(
                ["config", "--check", "configs/tiny-compressibility.yaml"] + settings.flatMap { ["--set", $0] },
                in: packageRoot)
        }
        let model = try check(["model=/nonexistent/sd"])
        XCTAssertNotEqual(model.status, 0)
        XCTAssertTrue(
            model.output.contains("model: '/nonexistent/sd' is not a diffusers pipeline folder"), model.output)
        XCTAssertTrue(model.stdout.isEmpty, "nothing printed for an invalid configuration: \(model.stdout)")
        let steps = try check(["train.batch_size=3"])
        XCTAssertNotEqual(steps.status, 0)
        XCTAssertTrue(steps.output.contains("train.batch_size: must divide"), steps.output)
        let file = try check(["prompt={name: file, file: /nonexistent/prompts.txt}"])
        XCTAssertNotEqual(file.status, 0)
        XCTAssertTrue(file.output.contains("/nonexistent/prompts.txt"), file.output)
        let eta = try check(["sample.eta=0"])
        XCTAssertNotEqual(eta.status, 0)
        XCTAssertTrue(eta.output.contains("sample.eta: must be > 0 for training"), eta.output)
    }

    func testFlagsGoTogetherOnlyAsDocumented() throws {
        for arguments in [
            ["config"], ["config", "--defaults", "--check", "x.yaml"], ["config", "--markdown"],
            ["config", "--defaults", "--set", "epochs=1"]
        ] {
            let result = try DDPOExecutable.run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.output)")
        }
    }
}
