import Foundation
import XCTest

/// `ddpo compare RUN... --out DIR` as a user runs it, on hand-written run folders.
final class CompareCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-compare-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A run folder with a config.yaml, two epochs and monitors at epochs 0 and 2.
    private func writeRun(_ name: String, rewards: [Double], klAfter: Double) throws -> String {
        let run = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try "run_name: \(name)\nmodel: /models/tiny\nmonitor: {every: 2}\n"
            .write(to: run.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        var lines = rewards.enumerated().map {
            #"{"step":\#($0.offset + 1),"epoch":\#($0.offset),"time":0,"reward_mean":\#($0.element)}"#
        }
        lines.append(#"{"step":0,"epoch":0,"time":0,"monitor/heldout_reward":0.5,"monitor/kl_to_base":0}"#)
        lines.append(#"{"step":2,"epoch":2,"time":0,"monitor/heldout_reward":0.25,"monitor/kl_to_base":\#(klAfter)}"#)
        try (lines.joined(separator: "\n") + "\n")
            .write(to: run.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        return run.path
    }

    func testComparesRunsByFolderNameWithTheirMonitors() throws {
        let none = try writeRun("none", rewards: [0.5, 0.75], klAfter: 40)
        let kl = try writeRun("kl", rewards: [0.5, 0.5], klAfter: 4)
        let out = folder.appendingPathComponent("comparison").path
        let result = try DDPOExecutable.run(["compare", none, kl, "--out", out, "--title", "KL or not"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.stdout.contains("| none | 1 | 0.5 | 0.75 | 0.25 |"), result.stdout)
        XCTAssertTrue(result.stdout.contains("| kl | 0.5 → 0.25 | 0 → 4 |"), result.stdout)
        let html = try String(contentsOfFile: out + "/comparison.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<h1>KL or not</h1>") && html.contains("Over-optimisation monitors"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/monitor-kl_to_base.svg"))
    }

    func testVariantLabelGroupsTheSeedsOfARun() throws {
        let runs = try [("none-seed1", 40.0), ("none-seed2", 20.0), ("kl-1e-3-seed1", 4.0)].map {
            try writeRun($0.0, rewards: [0.5, 0.75], klAfter: $0.1)
        }
        let out = folder.appendingPathComponent("comparison").path
        let result = try DDPOExecutable.run(["compare"] + runs + ["--out", out, "--label", "variant"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.stdout.contains("| none | 2 |"), result.stdout)
        XCTAssertTrue(result.stdout.contains("| none | 0.5 → 0.25 | 0 → 30 |"), "KL (40 + 20) / 2: \(result.stdout)")
        XCTAssertTrue(result.stdout.contains("| kl-1e-3 | 0.5 → 0.25 | 0 → 4 |"), result.stdout)
    }

    func testAMissingRunFolderFailsNamingIt() throws {
        let missing = folder.appendingPathComponent("no-such-run").path
        let result = try DDPOExecutable.run(["compare", missing, "--out", folder.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains(missing), result.output)
    }
}
