import Foundation
import TestSupport
import XCTest

/// `ddpo report RUN_DIR` as a user runs it.
final class ReportCommandTests: XCTestCase {
    func testMissingRunFolderFailsNamingIt() throws {
        let missing = "/nonexistent/runs/some-run"
        let result = try DDPOExecutable.run(["report", missing])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains(missing), result.output)
    }

    func testReportOfAnEmptyRunFolderIsWritten() throws {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-report-\(UUID())")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: run) }
        let result = try DDPOExecutable.run(["report", run.path])
        XCTAssertEqual(result.status, 0, result.output)
        let report = run.appendingPathComponent("report.html")
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), report.path)
        let html = try String(contentsOf: report, encoding: .utf8)
        XCTAssertTrue(html.contains("no epoch finished yet"))
    }

    /// `ddpo train` ends by writing the report, with both evaluations in it.
    func testTrainWritesTheReport() throws {
        let packageRoot = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-train-report-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let result = try DDPOExecutable.run(
            [
                "train", "--config", "configs/tiny-compressibility.yaml", "--set", "epochs=1", "--set",
                "sample.num_steps=2",
                "--set", "threads=1", "--set", "log_dir=\(runs.path)", "--set", "run_name=reported"
            ],
            in: packageRoot)
        XCTAssertEqual(result.status, 0, result.output)
        let html = try String(contentsOf: runs.appendingPathComponent("reported/report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("finished, 1 of 1 epochs"))
        XCTAssertEqual(
            html.components(separatedBy: "src=\"data:image/png;base64,").count - 1, 16,
            "8 evaluation tiles before and 8 after")
        XCTAssertFalse(html.contains("not yet"), "nothing should be missing from a finished run")
    }
}
