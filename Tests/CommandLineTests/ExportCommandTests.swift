import Foundation
import TestSupport
import XCTest

/// `ddpo export RUN --out DIR` as a user runs it, after `ddpo train`.
final class ExportCommandTests: XCTestCase {
    func testTrainThenExportWritesALoadableFolderAndRefusesToOverwriteIt() throws {
        let packageRoot = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-export-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let train = try DDPOExecutable.run(
            [
                "train", "--config", "configs/tiny-compressibility.yaml", "--set", "epochs=1", "--set",
                "sample.num_steps=2",
                "--set", "threads=1", "--set", "log_dir=\(runs.path)", "--set", "run_name=trained"
            ],
            in: packageRoot)
        XCTAssertEqual(train.status, 0, train.output)
        let out = runs.appendingPathComponent("exported").path
        let export = try DDPOExecutable.run(
            ["export", runs.appendingPathComponent("trained").path, "--out", out],
            in: packageRoot)
        XCTAssertEqual(export.status, 0, export.output)
        XCTAssertTrue(export.stdout.contains("wrote \(out) (epoch 1, lora weights)"), export.stdout)
        // The export samples like any model folder.
        let sample = try DDPOExecutable.run([
            "sample", "--model", out, "--prompt", "a cat", "--steps", "2",
            "--threads", "1", "--out", runs.appendingPathComponent("samples").path
        ])
        XCTAssertEqual(sample.status, 0, sample.output)

        let again = try DDPOExecutable.run(
            ["export", runs.appendingPathComponent("trained").path, "--out", out],
            in: packageRoot)
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.output.contains("already exists"), again.output)
        let missing = try DDPOExecutable.run(["export", "/nonexistent/run", "--out", out + "-2"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("/nonexistent/run"), missing.output)
    }
}
