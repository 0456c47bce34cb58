import Foundation
import RunLogging
import XCTest

@testable import DDPO
@testable import Reports

/// The report's "Over-optimisation monitors" section, from a run folder written as
/// `ddpo train` writes one (monitor lines beside the epoch lines in metrics.jsonl).
final class MonitorReportTests: XCTestCase {
    private var parent: URL!

    override func setUpWithError() throws {
        parent = FileManager.default.temporaryDirectory.appendingPathComponent("monitor-report-\(UUID())")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: parent)
    }

    /// Epochs 0–5 trained; monitors every 2 epochs with these held-out rewards at epochs 0, 2, 4, 6.
    private func run(heldOut: [Double], stopAfterFalls: Int) throws -> URL {
        let directory = parent.appendingPathComponent("monitored")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try """
        run_name: monitored
        epochs: 10
        model: /models/tiny
        monitor: {every: 2, prompts: shapes_held_out, stop_after_falls: \(stopAfterFalls)}

        """.write(to: directory.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let log = try MetricsLog(fileURL: directory.appendingPathComponent("metrics.jsonl"))
        for (index, value) in heldOut.enumerated() {
            let epoch = 2 * index
            try log.record(
                [
                    "monitor/heldout_reward": value, "monitor/diversity": 0.5 - 0.1 * Double(index),
                    "monitor/kl_to_base": Double(index), "monitor/heldout_match_all": value / 2
                ],
                step: 4 * epoch, epoch: epoch, time: 1_700_000_000)
            if epoch < 6 {
                for trained in [epoch, epoch + 1] {
                    try log.record(
                        ["reward_mean": -1, "reward_std": 0.1], step: 4 * (trained + 1), epoch: trained,
                        time: 1_700_000_000)
                }
            }
        }
        try log.close()
        return directory
    }

    func testMonitorLinesAreKeptApartFromTheEpochLines() throws {
        let folder = try RunFolder.read(run(heldOut: [1.0, 1.2, 1.1, 1.05], stopAfterFalls: 2))
        XCTAssertEqual(folder.epochs.map(\.epoch), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(folder.monitorReadings.map(\.epoch), [0, 2, 4, 6])
        XCTAssertEqual(folder.epochs[2].values["reward_mean"], -1)
        XCTAssertEqual(folder.monitorReadings[1].values["monitor/heldout_reward"], 1.2)
    }

    func testSectionChartsTheMonitorsAndSaysWhyTheRunStopped() throws {
        // 1.0 → 1.2 (rise) → 1.1 (fall 1) → 1.05 (fall 2): K = 2 stops after epoch 6.
        let html = RunReport.html(for: try RunFolder.read(run(heldOut: [1.0, 1.2, 1.1, 1.05], stopAfterFalls: 2)))
        XCTAssertTrue(html.contains("<h2>Over-optimisation monitors"))
        for title in ["held-out reward (mean)", "diversity", "KL to the base model", "held-out reward extras"] {
            XCTAssertTrue(html.contains(title), title)
        }
        XCTAssertTrue(html.contains("match_all"))
        XCTAssertTrue(
            html.contains(
                "Stopped early after epoch 6 of 10: the held-out reward fell 2 monitor evaluations"
                    + " in a row"), html)
        XCTAssertTrue(html.contains("1.2 (epoch 2) → 1.1 (epoch 4) → 1.05 (epoch 6)"), html)
        XCTAssertTrue(html.contains("· stopped early by the monitors, 6 of 10 epochs ·"), html)
    }

    func testSectionSaysWhenTheRuleDidNotFireOrWasOff() throws {
        let rising = RunReport.html(for: try RunFolder.read(run(heldOut: [1.0, 0.9, 1.1, 1.0], stopAfterFalls: 2)))
        XCTAssertTrue(
            rising.contains("No early stop: the held-out reward did not fall 2 monitor evaluations in a row."))
        XCTAssertTrue(rising.contains("· in progress or stopped, 6 of 10 epochs ·"))
        try FileManager.default.removeItem(at: parent.appendingPathComponent("monitored"))
        let off = RunReport.html(for: try RunFolder.read(run(heldOut: [1.0, 0.9, 0.8, 0.7], stopAfterFalls: 0)))
        XCTAssertTrue(off.contains("Early stop off (monitor.stop_after_falls: 0)."))
    }

    /// Two tasks, one line per task and check as `ddpo train` logs them: `beta` falls
    /// twice in a row (after epoch 4) while `alpha` rises.
    func testAMultiTaskRunChartsEachTaskAndNamesTheOneThatStopped() throws {
        let directory = parent.appendingPathComponent("tasks")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try """
        run_name: tasks
        epochs: 10
        model: /models/tiny
        tasks:
          - {name: alpha, prompt: shapes, reward: jpeg_compressibility}
          - {name: beta, prompt: shapes, reward: shapes_alignment}
        monitor: {every: 2, stop_after_falls: 2}

        """.write(to: directory.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let log = try MetricsLog(fileURL: directory.appendingPathComponent("metrics.jsonl"))
        for (index, (alpha, beta)) in [(1.0, 0.9), (1.1, 0.95), (1.2, 0.8), (1.3, 0.7)].enumerated() {
            for (task, value) in [("alpha", alpha), ("beta", beta)] {
                try log.record(
                    MonitorReading(
                        epoch: 2 * index, heldOutReward: value, diversity: 0.3, klToBase: 0.1,
                        infoMeans: ["match_all": value / 2], task: task
                    ).scalars,
                    step: 8 * index, epoch: 2 * index, time: 1_700_000_000)
            }
        }
        try log.close()
        let folder = try RunFolder.read(directory)
        XCTAssertEqual(
            folder.monitorReadings.map(\.epoch), [0, 2, 4, 6], "one record per check, the tasks' lines merged")
        XCTAssertEqual(folder.monitorReadings[1].values["monitor/heldout_reward/alpha"], 1.1)
        XCTAssertEqual(folder.monitorReadings[1].values["monitor/heldout_reward/beta"], 0.95)
        XCTAssertEqual(MonitorSection.tasks(folder), ["alpha", "beta"])
        XCTAssertEqual(
            MonitorSection.extraKeys(folder.monitorReadings, tasks: ["alpha", "beta"]).map(\.label),
            ["alpha match_all", "beta match_all"])
        let html = RunReport.html(for: folder)
        XCTAssertTrue(
            html.contains(
                "Stopped early after epoch 6 of 10: the held-out reward of task beta fell 2 monitor"
                    + " evaluations in a row"), html)
        XCTAssertTrue(html.contains("0.95 (epoch 2) → 0.8 (epoch 4) → 0.7 (epoch 6)"), html)
        XCTAssertTrue(html.contains(">alpha<") && html.contains(">beta<"), "one series per task")
    }

    func testARunWithoutMonitorsHasNoSection() throws {
        let html = RunReport.html(for: try RunFolder.read(SyntheticRun(in: parent).directory))
        XCTAssertFalse(html.contains("Over-optimisation monitors"))
    }
}
