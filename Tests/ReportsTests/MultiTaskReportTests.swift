import Foundation
import RunLogging
import XCTest

@testable import DDPO
@testable import Reports

/// The report of a multi-task run folder written by hand: a reward curve per
/// task, a summary row per task and each task's evaluations from evaluations/<task>/.
final class MultiTaskReportTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("multitask-report-\(UUID())/run")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try """
        run_name: run
        epochs: 2
        model: /models/tiny
        tasks:
          - {name: small, prompt: shapes, reward: jpeg_compressibility}
          - {name: aligned, prompt: shapes, reward: shapes_alignment, weight: 2}

        """.write(to: directory.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let log = try MetricsLog(fileURL: directory.appendingPathComponent("metrics.jsonl"))
        for (epoch, (small, aligned)) in [(-2.0, 0.25), (-1.5, 0.5)].enumerated() {
            try log.record(
                [
                    "reward_mean": (small + aligned) / 2, "reward_std": 1,
                    "reward_mean/small": small, "reward_std/small": 0.125,
                    "reward_mean/aligned": aligned, "reward_std/aligned": 0.0625
                ],
                step: epoch + 1, epoch: epoch, time: 1_700_000_000)
        }
        try log.close()
        // The before (0) and after (2) evaluations of each task, in its own folder.
        for (task, rewards) in [("small", [-2.0, -1.0]), ("aligned", [0.5, 0.75])] {
            for epoch in [0, 2] {
                let shifted = rewards.map { $0 + Double(epoch) / 8 }  // +0.25 after training
                try SyntheticRun.evaluation(epoch: epoch, rewards: shifted + [0, 0, 0])
                    .write(
                        images: SyntheticRun.prompts.indices.map { SyntheticRun.tile($0, epoch: epoch) },
                        to: directory.appendingPathComponent("evaluations/\(task)"))
            }
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory.deletingLastPathComponent())
    }

    func testTheReportShowsEachTask() throws {
        let run = try RunFolder.read(directory)
        XCTAssertEqual(run.problems, [])
        XCTAssertEqual(run.taskEvaluations["small"]?.map(\.epoch), [0, 2])
        XCTAssertTrue(run.evaluations.isEmpty)
        let html = RunReport.html(for: run)
        // Summary: one row per task; evaluation means (-3 + 0 + 0 + 0) / 5 = -0.6 before, -0.5 after.
        XCTAssertTrue(html.contains("<tr><th>Tasks</th><td>2, multi_task_update sequential</td></tr>"), html)
        XCTAssertTrue(
            html.contains(
                "<tr><th>Task small</th><td>reward jpeg_compressibility on prompts shapes,"
                    + " weight 1; evaluation -0.6 → -0.5 (+0.1)</td></tr>"), html)
        // (1.25 + 0) / 5 = 0.25 before, (1.75 + 0) / 5 = 0.35 after.
        XCTAssertTrue(
            html.contains(
                "<tr><th>Task aligned</th><td>reward shapes_alignment on prompts shapes,"
                    + " weight 2; evaluation 0.25 → 0.35 (+0.1)</td></tr>"), html)
        // The per-task chart: both series, with each epoch's value in its tooltips.
        let start = try XCTUnwrap(html.range(of: "reward mean ± std per task")).lowerBound
        let svg = String(html[start...]).components(separatedBy: "</svg>")[0]
        XCTAssertTrue(svg.contains(">small</text>") && svg.contains(">aligned</text>"), svg)
        XCTAssertTrue(svg.contains("epoch 1: -1.5 ± 0.125"), svg)
        XCTAssertTrue(svg.contains("epoch 1: 0.5 ± 0.0625"), svg)
        // Evaluation panels per task, before and after, from each task's folder.
        XCTAssertTrue(html.contains("Task <code>small</code>") && html.contains("Task <code>aligned</code>"))
        XCTAssertEqual(html.components(separatedBy: "<div class=\"panel\">").count - 1, 4)
        XCTAssertEqual(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1, 4 * 5)
        XCTAssertFalse(html.contains("No evaluation"), "every panel found its grid")
    }
}
