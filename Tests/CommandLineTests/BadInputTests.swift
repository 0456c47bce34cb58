import Foundation
import TestSupport
import XCTest

/// Issue #20: inputs that used to crash `ddpo` (a trap, rc 132; a segfault), hang
/// it, grow memory without bound or exit 0 with black images now end with a clear
/// error: a non-zero exit (not a signal) and a message naming the flag or field.
final class BadInputTests: XCTestCase {
    private let packageRoot = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()

    struct Outcome {
        var reason: Process.TerminationReason
        var status: Int32
        var output: String
    }

    /// Runs `ddpo` (output to a file, so nothing blocks), killing it after `timeout` seconds.
    private func ddpo(_ arguments: [String], timeout: Double = 120) throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: DDPOExecutable.url.path) else {
            throw DDPOExecutable.NotBuilt()
        }
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-bad-input-\(UUID())")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let handle = try FileHandle(forWritingTo: outputURL)
        let process = Process()
        process.executableURL = DDPOExecutable.url
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTFail("ddpo \(arguments.joined(separator: " ")) still ran after \(timeout) s")
        }
        try handle.close()
        return Outcome(
            reason: process.terminationReason, status: process.terminationStatus,
            output: (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "")
    }

    /// A clean failure: exited by itself, non-zero, not 132/134/139, and the
    /// output contains every one of `texts`.
    private func assertCleanFailure(_ arguments: [String], _ texts: [String], line: UInt = #line) throws {
        let outcome = try ddpo(arguments)
        let shown = "ddpo \(arguments.joined(separator: " ")):\n\(outcome.output)"
        XCTAssertEqual(outcome.reason, .exit, "ended by a signal: \(shown)", line: line)
        XCTAssertNotEqual(outcome.status, 0, shown, line: line)
        XCTAssertFalse([132, 134, 139].contains(outcome.status), shown, line: line)
        XCTAssertFalse(outcome.output.contains("Fatal error"), shown, line: line)
        for text in texts {
            XCTAssertTrue(outcome.output.contains(text), "'\(text)' missing: \(shown)", line: line)
        }
    }

    private func sample(_ model: URL, _ extra: [String]) throws -> [String] {
        let out = try Fixtures.temporaryDirectory(self, prefix: "ddpo-bad-input-out")
        return ["sample", "--model", model.path, "--prompt", "a red circle", "--out", out.path] + extra
    }

    /// A copy of tiny-sd1 with `change` applied to `component/file`.
    private func model(
        _ component: String, _ file: String = "config.json", _ change: (inout [String: Any]) -> Void
    ) throws -> URL {
        let copy = try Fixtures.temporaryDirectory(self, prefix: "ddpo-bad-model").appendingPathComponent("m")
        try FileManager.default.copyItem(at: Fixtures.pipeline("tiny-sd1"), to: copy)
        let url = copy.appendingPathComponent(component).appendingPathComponent(file)
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        change(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return copy
    }

    private var tiny: URL { Fixtures.pipeline("tiny-sd1") }

    func testSampleStepsOutsideTheScheduleAreRefused() throws {
        try assertCleanFailure(sample(tiny, ["--steps", "1001", "--threads", "1"]), ["--steps", "1...999"])
        try assertCleanFailure(sample(tiny, ["--steps", "1000", "--threads", "1"]), ["--steps", "1...999"])
        try assertCleanFailure(sample(tiny, ["--steps", "1000000", "--threads", "1"]), ["--steps", "at most 100000"])
    }

    func testSampleGuidanceMustBeFinite() throws {
        try assertCleanFailure(sample(tiny, ["--guidance", "nan"]), ["--guidance", "finite", "got nan"])
        try assertCleanFailure(sample(tiny, ["--guidance", "inf"]), ["--guidance", "finite", "got inf"])
        try assertCleanFailure(sample(tiny, ["--guidance", "1e9"]), ["--guidance", "0...1000"])
        try assertCleanFailure(sample(tiny, ["--eta", "inf"]), ["--eta", "[0, 1]"])
        try assertCleanFailure(sample(tiny, ["--eta=-0.5"]), ["--eta", "[0, 1]"])
    }

    func testSampleThreadsAreBounded() throws {
        try assertCleanFailure(sample(tiny, ["--threads", "100000"]), ["--threads", "1...512"])
        try assertCleanFailure(sample(tiny, ["--threads", "4096"]), ["--threads", "1...512"])
    }

    func testEveryThreadsFlagIsBounded() throws {
        try assertCleanFailure(
            [
                "evaluate", "--model", tiny.path, "--prompts", "shapes", "--reward", "jpeg_compressibility",
                "--threads", "100000"
            ], ["--threads", "1...512"])
        try assertCleanFailure(["pretrain", "--out", "/tmp/unused", "--threads", "4096"], ["--threads", "1...512"])
    }

    func testSampleRefusesBadModelConfigurations() throws {
        let args = ["--steps", "2", "--threads", "1"]
        try assertCleanFailure(
            sample(model("unet") { $0["sample_size"] = -8 }, args), ["unet/config.json", "sample_size", "1...1024"])
        try assertCleanFailure(
            sample(model("unet") { $0["sample_size"] = 0 }, args), ["unet/config.json", "sample_size", "1...1024"])
        try assertCleanFailure(
            sample(model("unet") { $0["sample_size"] = 100_000 }, args), ["sample_size", "GiB"])
        try assertCleanFailure(
            sample(model("unet") { $0["layers_per_block"] = 1_000_000_000 }, args),
            ["unet/config.json", "layers_per_block", "GiB"])
        try assertCleanFailure(
            sample(model("scheduler", "scheduler_config.json") { $0["steps_offset"] = 5000 }, args),
            ["scheduler_config.json", "steps_offset", "0...999"])
        try assertCleanFailure(
            sample(
                model("scheduler", "scheduler_config.json") {
                    $0["beta_start"] = 1.5
                    $0["beta_end"] = 2.0
                }, args),
            ["scheduler_config.json", "beta_start", "(0, 1)"])
        try assertCleanFailure(
            sample(model("scheduler", "scheduler_config.json") { $0["beta_start"] = -1 }, args),
            ["scheduler_config.json", "beta_start", "(0, 1)"])
        try assertCleanFailure(
            sample(model("text_encoder") { $0["num_hidden_layers"] = 1_000_000_000 }, args),
            ["text_encoder/config.json", "num_hidden_layers"])
    }

    /// `ddpo train` reports the same errors at validation or while loading the model.
    func testTrainRefusesBadInput() throws {
        let runs = try Fixtures.temporaryDirectory(self, prefix: "ddpo-bad-input-runs")
        var runCount = 0
        func train(_ settings: [String]) -> [String] {
            runCount += 1
            var arguments = ["train", "--config", "configs/tiny-compressibility.yaml"]
            for setting in ["threads=1", "log_dir=\(runs.path)", "epochs=1", "run_name=bad-\(runCount)"] + settings {
                arguments += ["--set", setting]
            }
            return arguments
        }
        try assertCleanFailure(train(["sample.num_steps=100000"]), ["sample.num_steps", "1...999"])
        try assertCleanFailure(train(["sample.num_steps=1000"]), ["sample.num_steps", "1...999"])
        try assertCleanFailure(train(["threads=100000"]), ["threads", "1...512"])
        try assertCleanFailure(train(["workers=4096"]), ["workers", "1...512"])
        let sampleSize = try model("unet") { $0["sample_size"] = -8 }
        try assertCleanFailure(train(["model=\(sampleSize.path)"]), ["unet/config.json", "sample_size"])
        let offset = try model("scheduler", "scheduler_config.json") { $0["steps_offset"] = 5000 }
        try assertCleanFailure(train(["model=\(offset.path)"]), ["scheduler_config.json", "steps_offset"])
        let betas = try model("scheduler", "scheduler_config.json") {
            $0["beta_start"] = 1.5
            $0["beta_end"] = 2.0
        }
        try assertCleanFailure(train(["model=\(betas.path)"]), ["scheduler_config.json", "beta_start"])
        let layers = try model("unet") { $0["layers_per_block"] = 1_000_000_000 }
        try assertCleanFailure(train(["model=\(layers.path)"]), ["unet/config.json", "layers_per_block", "GiB"])
    }
}
