import Foundation
import RunLogging
import XCTest

@testable import DDPO
@testable import Reports

/// The monitors of several runs side by side (`ddpo compare`, `ddpo experiment`).
final class MonitorComparisonTests: XCTestCase {
    /// A run whose monitors logged `heldOut` and `kl` at epochs 0, 5, 10, …
    private func run(_ name: String, heldOut: [Double], kl: [Double]) -> RunFolder {
        var run = RunFolder(directory: URL(fileURLWithPath: "/runs/compare/\(name)"))
        run.configuration = TrainingConfiguration(runName: name)
        run.epochs = [MetricsRecord(step: 1, epoch: 0, time: 0, values: ["reward_mean": 0.5])]
        run.monitorReadings = zip(heldOut, kl).enumerated().map { index, values in
            MetricsRecord(
                step: index, epoch: 5 * index, time: 0,
                values: [
                    MonitorReading.heldOutRewardName: values.0, MonitorReading.klToBaseName: values.1,
                    "monitor/heldout_match_all": values.0 / 2
                ])
        }
        return run
    }

    func testOneCurvePerGroupAveragedOverItsRunsAtEachMonitoredEpoch() throws {
        let comparison = ExperimentComparison(
            title: "t",
            runs: [
                run("none", heldOut: [0.8, 0.6, 0.4], kl: [0, 10, 30]),
                run("kl", heldOut: [0.8, 0.8], kl: [0, 2]),
                run("kl", heldOut: [0.8, 0.7, 0.9], kl: [0, 4, 6])
            ], monitorExtras: ["match_all", "not_logged"]
        ) { $0.name }
        let monitors = comparison.monitors
        // Diversity and the extra "not_logged" were not logged: no chart; the chosen extra follows the fixed ones.
        XCTAssertEqual(
            monitors.charts.map(\.name),
            [MonitorReading.heldOutRewardName, MonitorReading.klToBaseName, "monitor/heldout_match_all"])
        let kl = monitors.charts[1].curves
        XCTAssertEqual(kl.map(\.group), ["none", "kl"])
        XCTAssertEqual(kl[0].epochs, [0, 5, 10])
        XCTAssertEqual(kl[0].mean, [0, 10, 30])
        // Epoch 10 only in the second "kl" run: the mean is over the runs that logged it.
        XCTAssertEqual(kl[1].epochs, [0, 5, 10])
        XCTAssertEqual(kl[1].mean, [0, 3, 6])
        XCTAssertEqual(monitors.charts[0].curves[1].mean[1], 0.75, accuracy: 1e-12)

        let table = comparison.markdown()
        XCTAssertTrue(table.contains("| group | heldout_reward | kl_to_base | heldout_match_all |"), table)
        XCTAssertTrue(table.contains("| none | 0.8 → 0.4 | 0 → 30 | 0.4 → 0.2 |"), table)
        XCTAssertTrue(table.contains("| kl | 0.8 → 0.9 | 0 → 6 | 0.4 → 0.45 |"), table)
        let html = comparison.html()
        XCTAssertTrue(html.contains("<h2>Over-optimisation monitors"))
        XCTAssertTrue(html.contains("KL to the base model (per step, mean)"))
    }

    func testRunsWithoutMonitorsGetNoSectionAndNoFiles() throws {
        var plain = run("plain", heldOut: [], kl: [])
        plain.monitorReadings = []
        let comparison = ExperimentComparison(title: "t", runs: [plain])
        XCTAssertTrue(comparison.monitors.charts.isEmpty)
        XCTAssertFalse(comparison.html().contains("Over-optimisation monitors"))
        XCTAssertFalse(comparison.markdown().contains("Monitors"))
    }

    func testWritesOneSVGFilePerMonitoredValue() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("monitor-comparison-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Without monitorExtras the reward's extras (match_all here) are left out.
        try ExperimentComparison(title: "t", runs: [run("a", heldOut: [1, 2], kl: [0, 1])]) { $0.name }
            .write(to: directory)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        XCTAssertEqual(
            files,
            [
                "comparison.html", "comparison.json", "comparison.md", "comparison.svg",
                "monitor-heldout_reward.svg", "monitor-kl_to_base.svg"
            ])
        let svg = try String(contentsOf: directory.appendingPathComponent("monitor-kl_to_base.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml") && svg.contains("xmlns=\"http://www.w3.org/2000/svg\""))
    }

    /// Multi-task runs: one chart per value and task, files named without a slash.
    func testMultiTaskRunsGetAChartPerTask() throws {
        var multi = RunFolder(directory: URL(fileURLWithPath: "/runs/compare/multi"))
        multi.configuration = TrainingConfiguration(runName: "multi")
        multi.epochs = [MetricsRecord(step: 1, epoch: 0, time: 0, values: ["reward_mean": 0.5])]
        multi.monitorReadings = [0, 1].map { index in
            var values: [String: Double] = [:]
            for task in ["alpha", "beta"] {
                values.merge(
                    MonitorReading(
                        epoch: 5 * index, heldOutReward: task == "alpha" ? 1 : 2, diversity: 0.5,
                        klToBase: Double(index), task: task
                    ).scalars
                ) { $1 }
            }
            return MetricsRecord(step: index, epoch: 5 * index, time: 0, values: values)
        }
        let comparison = ExperimentComparison(title: "t", runs: [multi]) { $0.name }
        XCTAssertEqual(
            comparison.monitors.charts.map(\.name),
            [
                "monitor/heldout_reward/alpha", "monitor/kl_to_base/alpha", "monitor/diversity/alpha",
                "monitor/heldout_reward/beta", "monitor/kl_to_base/beta", "monitor/diversity/beta"
            ])
        XCTAssertEqual(comparison.monitors.charts[3].title, "held-out reward (monitors, mean), task beta")
        XCTAssertEqual(comparison.monitors.charts[3].curves.first?.mean, [2, 2])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("monitor-comparison-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try comparison.write(to: directory)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertTrue(files.contains("monitor-heldout_reward-beta.svg"), "\(files)")
    }
}
