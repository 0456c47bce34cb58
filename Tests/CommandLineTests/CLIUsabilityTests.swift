import Foundation
import ImageCodecs
import TestSupport
import XCTest

/// A user's first minutes with `ddpo`: a misspelt command, option or setting is named
/// with the one most likely meant; a wrong name lists the valid ones; `--version`
/// says what runs where; `sample --run` samples a trained run; `--eta 0` is
/// deterministic DDIM; errors that are not about usage come without the usage text.
final class CLIUsabilityTests: XCTestCase {
    private let packageRoot = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
    private var tiny: String { Fixtures.pipeline("tiny-sd1").path }

    /// Runs `ddpo` from the package root and asserts a failure (not a crash) whose
    /// output holds each of `texts`.
    @discardableResult
    private func assertFails(
        _ arguments: [String], status: Int32? = nil, _ texts: [String], line: UInt = #line
    ) throws -> DDPOExecutable.Result {
        let result = try DDPOExecutable.run(arguments, in: packageRoot)
        let shown = "ddpo \(arguments.joined(separator: " ")):\n\(result.output)"
        XCTAssertNotEqual(result.status, 0, shown, line: line)
        if let status { XCTAssertEqual(result.status, status, shown, line: line) }
        XCTAssertFalse(result.output.contains("Fatal error"), shown, line: line)
        for text in texts { XCTAssertTrue(result.output.contains(text), "'\(text)' missing: \(shown)", line: line) }
        return result
    }

    // MARK: Did you mean

    func testAMisspeltCommandIsNamedWithTheLikelyOne() throws {
        let typo = try assertFails(
            ["trian", "--config", "configs/tiny-compressibility.yaml"], status: 64,
            ["Error: Unknown command 'trian'. Did you mean 'train'?", "See 'ddpo --help'"])
        XCTAssertFalse(typo.output.contains("--config"), "the typo, not an option, is the problem: \(typo.output)")
        try assertFails(["evalute"], status: 64, ["Unknown command 'evalute'. Did you mean 'evaluate'?"])
        try assertFails(
            ["fly"], status: 64,
            ["Unknown command 'fly'; the commands are sample, train, evaluate, report, pretrain, experiment, compare"])
    }

    func testAMisspeltOptionIsNamedBeforeTheCommandsOwnChecks() throws {
        // Without the early check this said "give --config FILE or --resume RUN_DIR".
        try assertFails(
            ["train", "--confg", "configs/tiny-compressibility.yaml"], status: 64,
            ["Error: Unknown option '--confg'. Did you mean '--config'?", "See 'ddpo train --help'"])
        try assertFails(
            ["sample", "--modle", tiny, "--prompt", "a", "--out", "/tmp/unused"], status: 64,
            ["Unknown option '--modle'. Did you mean '--model'?"])
        try assertFails(
            ["evaluate", "--model", tiny, "--promts=shapes", "--reward", "jpeg_compressibility"], status: 64,
            ["Unknown option '--promts'. Did you mean '--prompts'?"])
        try assertFails(["config", "--default"], status: 64, ["Did you mean '--defaults'?"])
        // After an option that takes a value comes its value, whatever it looks like:
        // not reported as an unknown option (the parser itself says what it makes of it).
        let value = try assertFails(
            ["sample", "--model", tiny, "--prompt", "--not-an-option", "--out", "/tmp/unused"], [])
        XCTAssertFalse(value.output.contains("Unknown option '--not-an-option'"), value.output)
    }

    func testAMisspeltSettingIsNamedWithTheLikelyOne() throws {
        try assertFails(
            ["train", "--config", "configs/tiny-compressibility.yaml", "--set", "train.learning_rte=1e-4"],
            [
                "train.learning_rte: unknown setting in override 'train.learning_rte=1e-4'; "
                    + "did you mean 'train.learning_rate'?"
            ])
        try assertFails(
            ["config", "--check", "configs/tiny-compressibility.yaml", "--set", "sampel.num_steps=4"],
            ["did you mean 'sample.num_steps'?"])
        try assertFails(
            ["config", "--check", "configs/tiny-compressibility.yaml", "--set", "colour=red"],
            ["unknown setting", "ddpo config --defaults lists every setting"])
    }

    // MARK: Valid values listed

    func testAWrongNameListsTheValidOnesInEveryCommand() throws {
        let evaluate = ["evaluate", "--model", tiny, "--threads", "1"]
        try assertFails(
            evaluate + ["--prompts", "shapes_held", "--reward", "jpeg_compressibility"],
            [
                "--prompts 'shapes_held' is neither a file nor a prompt set; did you mean 'shapes_held_out'?",
                "(prompt sets: simple_animals, imagenet_animals, shapes, shapes_held_out, shapes_all, shapes_relations,"
            ])
        try assertFails(
            evaluate + ["--prompts", "shapes", "--reward", "jpeg_compresibility"],
            ["unknown reward 'jpeg_compresibility'; did you mean 'jpeg_compressibility'?", "(valid: aesthetic, "])
        let train = ["train", "--config", "configs/tiny-compressibility.yaml", "--set", "epochs=1"]
        try assertFails(train + ["--set", "reward=jpeg_compresibility"], ["(valid: aesthetic, "])
        try assertFails(train + ["--set", "prompt=shapez"], ["did you mean 'shapes'?", "(valid: simple_animals, "])
        try assertFails(
            train + ["--set", "train.algorithm=ppo"], ["(valid: ddpo_is, ddpo_sf, rwr, rwr_sparse, p3o, d3po)"])
        try assertFails(
            train + ["--set", "monitor.every=1", "--set", "monitor.diversity=diversty"],
            ["monitor.diversity", "unknown reward 'diversty'", "(valid: "])
        try assertFails(
            ["experiment", "--config", "configs/tiny-compressibility.yaml", "--algorithms", "ppo"],
            ["(valid: ddpo_is, ddpo_sf, rwr, rwr_sparse, p3o, d3po)"])
        try assertFails(
            ["compare", "runs/a", "--out", "/tmp/unused", "--label", "colour"],
            ["'folder', 'variant' or 'algorithm'"])
        try assertFails(
            ["sample", "--model", tiny, "--prompt", "a", "--out", "/tmp/unused", "--mixed-precision", "fp16"],
            ["must be no or bf16"])
        try assertFails(
            ["sample", "--model", tiny, "--prompt", "a", "--out", "/tmp/unused", "--device", "gpu"],
            ["--device must be cpu, cuda or cuda:N"])
    }

    func testLoRAOfAFullFineTuneSaysToUseRun() throws {
        // What a full fine-tune's run folder holds: checkpoints/, no lora/.
        let run = try Fixtures.temporaryDirectory(self, prefix: "ddpo-full-run")
        try FileManager.default.createDirectory(
            at: run.appendingPathComponent("checkpoints/epoch-000001"), withIntermediateDirectories: true)
        let expected = [
            "--lora \(run.path): this run has checkpoints/ but no lora/ folder: it fine-tuned the whole UNet",
            "load it with --run \(run.path)"
        ]
        let evaluate = try assertFails(
            [
                "evaluate", "--model", tiny, "--lora", run.path, "--prompts", "shapes",
                "--reward", "jpeg_compressibility", "--threads", "1"
            ], expected)
        XCTAssertFalse(evaluate.output.contains("Usage"), "not a usage problem: \(evaluate.output)")
        try assertFails(
            ["sample", "--model", tiny, "--lora", run.path, "--prompt", "a", "--out", run.path, "--threads", "1"],
            expected)
    }

    // MARK: Version, errors, help

    func testVersionNamesTheProgramLibtorchAndTheDevices() throws {
        let result = try DDPOExecutable.run(["--version"])
        XCTAssertEqual(result.status, 0, result.output)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let first = try XCTUnwrap(lines.first)
        XCTAssertNotNil(first.range(of: #"^swift-ddpo \d+\.\d+\.\d+$"#, options: .regularExpression), first)
        XCTAssertTrue(lines.contains { $0.hasPrefix("libtorch 2.") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("devices: cpu") }, result.stdout)
        let help = try DDPOExecutable.run(["--help"])
        XCTAssertTrue(help.stdout.contains("--version"), help.stdout)
    }

    func testCompareErrorsAreOneLineWithoutTheUsage() throws {
        let missing = try Fixtures.temporaryDirectory(self, prefix: "ddpo-compare").appendingPathComponent("none").path
        let result = try assertFails(["compare", missing, "--out", "/tmp/unused"], ["cannot read the run folder"])
        XCTAssertFalse(result.output.lowercased().contains("usage"), result.output)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }

    /// The commands whose help is checked: all of them.
    private let commandsWithCleanHelp = [
        "", "sample", "train", "evaluate", "report", "pretrain", "experiment", "compare", "export", "config", "label"
    ]

    /// At 80 columns every line of every help fits, and every paragraph is wrapped
    /// the argument parser's way: a line ends only where the next word would not fit.
    /// A line break written inside a sentence of a discussion shows as a short line
    /// whose successor's first word would have fitted after it.
    func testHelpIsWrappedEvenlyAtEightyColumns() throws {
        let width = 80
        for command in commandsWithCleanHelp {
            let arguments = (command.isEmpty ? [] : [command]) + ["--help"]
            let result = try DDPOExecutable.run(arguments, environment: ["COLUMNS": "\(width)"])
            XCTAssertEqual(result.status, 0, result.output)
            let problems = HelpLayout.problems(in: result.stdout, width: width)
            XCTAssertEqual(problems, [], "ddpo \(arguments.joined(separator: " "))")
        }
    }

    func testTheHelpCheckFindsARaggedParagraph() {
        let ragged = """
            OVERVIEW: A command.

            Writes the run folder, with
            checkpoints/ and a report
            at the end.

            USAGE: ddpo thing
            """
        XCTAssertEqual(HelpLayout.problems(in: ragged, width: 80).count, 2)
        let option = """
            OPTIONS:
              --model <model>         A folder
                                      with weights.
            """
        XCTAssertEqual(HelpLayout.problems(in: option, width: 80).count, 1)
        let long = String(repeating: "x", count: 81)
        XCTAssertEqual(HelpLayout.problems(in: long, width: 80).count, 1)
    }

    // MARK: sample --eta 0 and sample --run

    private func sample(_ arguments: [String], out: URL) throws -> [RGBImage] {
        let result = try DDPOExecutable.run(
            [
                "sample", "--prompt", "a red circle", "--prompt", "two green squares", "--steps", "4", "--threads", "1",
                "--out", out.path
            ] + arguments)
        XCTAssertEqual(result.status, 0, result.output)
        return try (0..<2).map { try RGBImage(contentsOfPNG: out.appendingPathComponent("sample_\($0).png")) }
    }

    func testEtaZeroIsDeterministicGivenTheSeed() throws {
        let folder = try Fixtures.temporaryDirectory(self, prefix: "ddpo-eta0")
        func images(_ name: String, seed: Int, eta: String) throws -> [RGBImage] {
            try sample(
                ["--model", tiny, "--seed", "\(seed)", "--eta", eta], out: folder.appendingPathComponent(name))
        }
        let first = try images("a", seed: 1, eta: "0")
        let again = try images("b", seed: 1, eta: "0")
        let otherSeed = try images("c", seed: 2, eta: "0")
        let noisy = try images("d", seed: 1, eta: "1")
        XCTAssertEqual(first, again, "the same seed, the same initial noise: the same images")
        XCTAssertNotEqual(first, otherSeed, "another seed draws other initial noise")
        XCTAssertNotEqual(first, noisy, "at eta 1 the per-step noise changes the images")
        // NaN latents would decode to flat images: a finite sample has some contrast.
        for image in first {
            XCTAssertGreaterThan(Set(image.pixels).count, 1, "a flat image: the sample was not finite")
        }
    }

    /// Trains one epoch of the tests' tiny pipeline into `folder/name`.
    private func trainTinyRun(_ name: String, in folder: URL, settings: [String]) throws -> String {
        var arguments = ["train", "--config", "configs/tiny-compressibility.yaml"]
        for setting in [
            "model=\(tiny)", "log_dir=\(folder.path)", "run_name=\(name)", "train.learning_rate=1e-2",
            "epochs=1", "threads=1", "sample.num_steps=4"
        ] + settings {
            arguments += ["--set", setting]
        }
        let result = try DDPOExecutable.run(arguments, in: packageRoot)
        XCTAssertEqual(result.status, 0, result.output)
        return folder.appendingPathComponent(name).path
    }

    func testSampleRunUsesTheRunsNewestCheckpointOnTheRunsModel() throws {
        let folder = try Fixtures.temporaryDirectory(self, prefix: "ddpo-sample-run")
        let full = try trainTinyRun("full", in: folder, settings: ["use_lora=false"])
        let lora = try trainTinyRun("lora", in: folder, settings: ["use_lora=true"])
        let base = try sample(["--model", tiny], out: folder.appendingPathComponent("base"))
        // No --model: the run's config.yaml names it.
        let fullImages = try sample(["--run", full], out: folder.appendingPathComponent("full-images"))
        XCTAssertNotEqual(fullImages, base, "the fine-tuned UNet draws other images")
        let loraImages = try sample(["--run", lora], out: folder.appendingPathComponent("lora-images"))
        XCTAssertNotEqual(loraImages, base, "the adapters change the images")
        let loraFlag = try sample(["--model", tiny, "--lora", lora], out: folder.appendingPathComponent("lora-flag"))
        XCTAssertEqual(loraImages, loraFlag, "--run and --lora load a LoRA run alike")
        try assertFails(
            ["sample", "--run", full, "--lora", lora, "--prompt", "a", "--out", folder.path], ["not both"])
        try assertFails(
            ["sample", "--run", folder.path, "--prompt", "a", "--out", folder.path],
            ["not a run folder (no config.yaml)"])
    }
}

/// The two rules help text must keep at a given width (see
/// `CLIUsabilityTests.testHelpIsWrappedEvenlyAtEightyColumns`).
enum HelpLayout {
    /// The argument parser's column where option help starts and continues.
    static let helpColumn = 26

    static func problems(in help: String, width: Int) -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var problems: [String] = []
        for (index, line) in lines.enumerated() {
            if line.count > width { problems.append("longer than \(width): \(line)") }
            guard index > 0, let word = line.split(separator: " ").first else { continue }
            let previous = lines[index - 1]
            guard isContinuation(line, of: previous) else { continue }
            // The parser breaks at the last space that leaves the line shorter than the
            // width: the word fitted if the line, a space, the word and one more
            // column stay within it.
            if previous.count + 1 + word.count + 1 <= width {
                problems.append("broken early before '\(word)': \(previous)")
            }
        }
        return problems
    }

    /// Whether `line` continues the text of `previous`: both prose at the left
    /// margin (overview, discussion), or option help continued in the help column.
    static func isContinuation(_ line: String, of previous: String) -> Bool {
        guard !line.isEmpty, !previous.isEmpty else { return false }
        let indent = line.prefix { $0 == " " }.count
        let previousIndent = previous.prefix { $0 == " " }.count
        if indent == 0 && previousIndent == 0 {
            // A section header ("USAGE:", "OPTIONS:") starts a new block.
            return !line.hasPrefix("USAGE:") && !line.hasSuffix(":")
        }
        guard indent == helpColumn else { return false }
        // The previous line holds help text that reaches the help column (a label
        // too long for its column stands alone, and the help starts below it).
        let characters = Array(previous)
        return previousIndent == helpColumn
            || (characters.count > helpColumn && characters[helpColumn - 2] == " "
                && characters[helpColumn - 1] == " ")
    }
}
