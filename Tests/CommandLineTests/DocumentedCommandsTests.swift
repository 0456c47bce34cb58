import Foundation
import TestSupport
import XCTest

/// Every `ddpo ...` command the documentation shows is run, so a wrong one fails
/// here rather than on a user's machine: the command lines of README.md's and
/// docs/**/*.md's code blocks and of the `#` comments of configs/*.yaml (those
/// starting with `ddpo ` or `.build/release/ddpo `, `\` continuations joined),
/// with their placeholders replaced (`substitutions`), run from the repository root
/// with DDPO_PARSE_ONLY=1: the executable parses and validates the arguments, and
/// for `train --config` and `experiment` loads the configuration with its `--set`
/// overrides and validates it as `ddpo config --check` does (values, reward and
/// prompt-set names, the model folder, prompt files), then exits without running.
///
/// Checked as far as parsing and validation only: commands that read what a run
/// leaves behind (`--resume runs/...`, `--run`, `--lora`, `compare`, `export`,
/// `report`), since no run folder exists when the test runs; their flags, values
/// and names are still checked.
final class DocumentedCommandsTests: XCTestCase {
    private static let packageRoot = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()

    /// A command as the documentation shows it.
    struct DocumentedCommand: CustomStringConvertible {
        var file: String
        var line: Int
        var text: String
        var description: String { "\(file):\(line): \(text)" }
    }

    /// Placeholders of the documentation → what the test puts in their place.
    static func substitutions(promptsFile: String) -> [(placeholder: String, value: String)] {
        let model = Fixtures.pipeline("tiny-sd1").path
        return [
            // A real Stable Diffusion folder: the tests' tiny SD 1.x pipeline has its layout.
            ("/path/to/stable-diffusion-v1-5", model), ("/path/to/sd-1.5", model),
            // Run folders that exist only after training: parse-checked only.
            ("runs/<a LoRA run>", "runs/documented-run"), ("runs/<run>", "runs/documented-run"),
            ("<file with the caption>", promptsFile),
            // An optional flag shown in brackets: checked with it.
            ("[--label variant]", "--label variant")
        ]
    }

    // MARK: Finding the commands

    /// The documentation files: README.md, docs/**/*.md and configs/*.yaml.
    static func documentationFiles() throws -> [URL] {
        var files = [packageRoot.appendingPathComponent("README.md")]
        let manager = FileManager.default
        let docs = packageRoot.appendingPathComponent("docs")
        for case let url as URL in manager.enumerator(at: docs, includingPropertiesForKeys: nil) ?? .init()
        where url.pathExtension == "md" {
            files.append(url)
        }
        let configs = try manager.contentsOfDirectory(
            at: packageRoot.appendingPathComponent("configs"), includingPropertiesForKeys: nil)
        files += configs.filter { $0.pathExtension == "yaml" }
        return files.sorted { $0.path < $1.path }
    }

    /// The commands of one file: in Markdown the lines of fenced code blocks, in YAML
    /// the comment lines (`#` taken off); a line ending in `\` continues on the next.
    static func commands(in text: String, file: String, isYAML: Bool) -> [DocumentedCommand] {
        var found: [DocumentedCommand] = []
        var inFence = false
        var pending: (line: Int, text: String)?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(rawLine)
            if isYAML {
                guard line.hasPrefix("#") else {
                    pending = nil
                    continue
                }
                line = String(line.dropFirst())
            } else if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                inFence.toggle()
                pending = nil
                continue
            } else if !inFence {
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let started = pending {
                pending = (started.line, started.text + " " + trimmed)
            } else if isCommand(trimmed) {
                pending = (index + 1, trimmed)
            } else {
                continue
            }
            if pending!.text.hasSuffix("\\") {
                pending!.text.removeLast()
            } else {
                found.append(DocumentedCommand(file: file, line: pending!.line, text: pending!.text))
                pending = nil
            }
        }
        return found
    }

    /// A line that runs ddpo; README's module graph ("ddpo  <- DDPO, ...") is no command.
    static func isCommand(_ line: String) -> Bool {
        let words = line.split(separator: " ")
        guard let program = words.first, program == "ddpo" || program == ".build/release/ddpo" else { return false }
        return words.count > 1 && words[1] != "<-"
    }

    /// A command line's words as a shell splits them: quotes group, a `#` starting a
    /// word begins a comment.
    static func words(of command: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        for character in command {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character == " " || character == "\t" {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else if character == "#" && !inWord {
                break
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    // MARK: The tests

    func testEveryDocumentedCommandParsesAndValidates() throws {
        let folder = try Fixtures.temporaryDirectory(self, prefix: "ddpo-documented")
        let promptsFile = folder.appendingPathComponent("caption.txt")
        try "a red circle on a black background\n".write(to: promptsFile, atomically: true, encoding: .utf8)
        var all: [DocumentedCommand] = []
        for url in try Self.documentationFiles() {
            let text = try String(contentsOf: url, encoding: .utf8)
            let relative = String(url.path.dropFirst(Self.packageRoot.path.count + 1))
            all += Self.commands(in: text, file: relative, isYAML: url.pathExtension == "yaml")
        }
        // The extraction must keep finding them: 32 today.
        XCTAssertGreaterThan(all.count, 25, "\(all)")
        XCTAssertTrue(all.contains { $0.file == "README.md" } && all.contains { $0.file.hasPrefix("configs/") })

        var configurationsChecked = 0
        for command in all {
            var text = command.text
            for (placeholder, value) in Self.substitutions(promptsFile: promptsFile.path) {
                text = text.replacingOccurrences(of: placeholder, with: value)
            }
            XCTAssertFalse(
                text.contains("<") || text.contains("/path/to"), "a placeholder without a substitution: \(command)")
            let arguments = Array(Self.words(of: text).dropFirst())
            let result = try DDPOExecutable.run(
                arguments, in: Self.packageRoot, environment: ["DDPO_PARSE_ONLY": "1"])
            XCTAssertEqual(result.status, 0, "\(command)\n\(result.output)")
            XCTAssertTrue(result.stderr.contains("DDPO_PARSE_ONLY: "), "\(command): ran instead of checking")
            if result.stderr.contains("and configuration") { configurationsChecked += 1 }
        }
        XCTAssertGreaterThan(configurationsChecked, 15, "the train commands' configurations are checked")
    }

    /// The check fails for what the documentation used to say.
    func testAWrongCommandFailsTheCheck() throws {
        let model = Fixtures.pipeline("tiny-sd1").path
        for wrong in [
            // configs/compressibility.yaml's old comment: no --config, no --set.
            ["train", "configs/compressibility.yaml", "model=\(model)"],
            // A configuration that does not validate.
            ["train", "--config", "configs/compressibility.yaml", "--set", "model=/nonexistent"],
            ["train", "--config", "configs/tiny-compressibility.yaml", "--set", "sample.eta=0"],
            ["evaluate", "--model", "models/shapes-tiny", "--prompts", "shapes_heldout", "--reward", "shapes_alignment"]
        ] {
            let result = try DDPOExecutable.run(wrong, in: Self.packageRoot, environment: ["DDPO_PARSE_ONLY": "1"])
            XCTAssertNotEqual(result.status, 0, "\(wrong): \(result.output)")
        }
    }

    func testExtractionJoinsContinuationsAndSkipsProse() {
        let markdown = """
            Run `ddpo train` like this:
            ddpo train --config a.yaml
            ```sh
            swift build
            .build/release/ddpo evaluate --model m \\
                --prompts p   # a comment
            ddpo            <- DDPO, Torch
            ```
            """
        let found = Self.commands(in: markdown, file: "x.md", isYAML: false)
        XCTAssertEqual(found.map(\.text), [".build/release/ddpo evaluate --model m  --prompts p   # a comment"])
        XCTAssertEqual(found.first?.line, 5)
        XCTAssertEqual(
            Self.words(of: found[0].text), [".build/release/ddpo", "evaluate", "--model", "m", "--prompts", "p"])
        let yaml = """
            # Train:
            #
            #   ddpo train --config configs/x.yaml \\
            #       --set epochs=2
            seed: 1   # ddpo train is not a comment line
            """
        XCTAssertEqual(
            Self.commands(in: yaml, file: "x.yaml", isYAML: true).map(\.text),
            ["ddpo train --config configs/x.yaml  --set epochs=2"])
        XCTAssertEqual(
            Self.words(of: #"ddpo sample --prompt "a cat" --prompt 'a dog'"#).suffix(2), ["--prompt", "a dog"])
    }
}
