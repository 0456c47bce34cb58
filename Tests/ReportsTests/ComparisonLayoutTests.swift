import Foundation
import RunLogging
import XCTest

@testable import DDPO
@testable import Reports

/// comparison.html must show its whole table on any window: no fixed page width
/// that cuts it, each table scrolling sideways inside its own box.
final class ComparisonLayoutTests: XCTestCase {
    private func run(_ name: String, monitored: Bool) -> RunFolder {
        var run = RunFolder(directory: URL(fileURLWithPath: "/runs/compare/\(name)"))
        run.configuration = TrainingConfiguration(runName: name)
        run.epochs = [MetricsRecord(step: 1, epoch: 0, time: 0, values: ["reward_mean": 0.5])]
        if monitored {
            run.monitorReadings = [0, 5].map { epoch in
                MetricsRecord(
                    step: 0, epoch: epoch, time: 0,
                    values: [
                        MonitorReading.heldOutRewardName: 1, MonitorReading.fidelityName: 0.5,
                        MonitorReading.fidelityName + "_match_all": 0.25
                    ])
            }
        }
        return run
    }

    func testTablesScrollInsideTheirBoxOnAPageAsWideAsTheWindow() {
        let comparison = ExperimentComparison(
            title: "t", runs: [run("a", monitored: true), run("b", monitored: true)]
        ) { $0.name }
        let html = comparison.html()
        XCTAssertTrue(html.contains("<main class=\"wide\">"))
        XCTAssertTrue(ReportStyle.css.contains("main.wide { max-width: none; }"))
        XCTAssertTrue(ReportStyle.css.contains(".table-scroll { overflow-x: auto;"))
        let tables = html.components(separatedBy: "<table").count - 1
        XCTAssertEqual(tables, 2, "the gains and the monitors")
        XCTAssertEqual(html.components(separatedBy: "<div class=\"table-scroll\"><table").count - 1, tables)
        // No width in pixels caps the page or a table.
        XCTAssertFalse(ReportStyle.css.contains("1200px"))
        for rule in ReportStyle.css.split(separator: "\n") where rule.contains("table") || rule.contains("main.wide") {
            XCTAssertNil(rule.range(of: "max-width: *[0-9]+px", options: .regularExpression), String(rule))
        }
    }

    func testEveryFidelityValueTheRunsLoggedIsCharted() {
        let comparison = ExperimentComparison(
            title: "t", runs: [run("a", monitored: true), run("b", monitored: true)]
        ) { $0.name }
        XCTAssertEqual(
            comparison.monitors.charts.map(\.name),
            [MonitorReading.heldOutRewardName, MonitorReading.fidelityName, "monitor/fidelity_match_all"])
    }
}
