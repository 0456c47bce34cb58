import DDPO
import Foundation
import RunLogging

/// The over-optimisation monitors of several groups of runs side by side (e.g. a
/// run without a regulariser and runs with the KL penalty at two weights): for each
/// monitored value, one line per group, the mean over the group's runs at each
/// monitored epoch. Part of `ExperimentComparison`; empty when no run has monitors.
public struct MonitorComparison: Codable, Equatable {
    /// One monitored value of one group against the epochs trained.
    public struct Curve: Codable, Equatable {
        public var group: String
        public var epochs: [Int]
        /// Mean over the group's runs that logged the value at that epoch.
        public var mean: [Double]
    }

    /// One chart: a metrics.jsonl name (`monitor/…`) and a curve per group.
    public struct Chart: Codable, Equatable {
        public var name: String
        public var title: String
        public var curves: [Curve]
    }

    public var charts: [Chart]

    /// The values charted, in order, with their titles; the held-out fidelity values
    /// (`monitor/fidelity*`) and the chosen extras of the reward (`monitor/heldout_<key>`)
    /// follow when the runs logged them.
    static let fixedCharts = [
        (MonitorReading.heldOutRewardName, "held-out reward (monitors, mean)"),
        (MonitorReading.klToBaseName, "KL to the base model (per step, mean)"),
        (MonitorReading.diversityName, "diversity of the held-out samples")
    ]

    /// `extras`: which of the reward's per-sample extras to chart too, by key (e.g.
    /// `match_all` for shapes_alignment's accuracy); a reward may log many. Multi-task
    /// runs log each value per task (`…/<task>`): one chart per value and task.
    init(groups: [(name: String, runs: [RunFolder])], extras: [String] = []) {
        let allRuns = groups.flatMap(\.runs)
        let logged = Set(allRuns.flatMap { $0.monitorReadings.flatMap(\.values.keys) })
        let extras = extras.map { (MonitorReading.prefix + "heldout_" + $0, "held-out \($0) (monitors, mean)") }
        // Every held-out fidelity value logged (`monitor/fidelity`, `monitor/fidelity_<extra>`), by name.
        let fidelity = Set(logged.map { MonitorSection.splitTask($0).base })
            .filter { $0.hasPrefix(MonitorReading.fidelityName) }.sorted()
            .map { ($0, "held-out \($0.dropFirst(MonitorReading.prefix.count)) (monitors, mean)") }
        let wanted = Self.fixedCharts + fidelity + extras
        let taskPrefix = MonitorReading.heldOutRewardName + "/"
        let tasks = Set(logged.filter { $0.hasPrefix(taskPrefix) }.map { String($0.dropFirst(taskPrefix.count)) })
            .sorted()
        let perTask = tasks.flatMap { task in
            wanted.map { (MonitorReading.name($0.0, task: task), "\($0.1), task \(task)") }
        }
        charts = (wanted + perTask).filter { logged.contains($0.0) }.map { name, title in
            Chart(name: name, title: title, curves: groups.map { Self.curve(name, group: $0.name, runs: $0.runs) })
        }
    }

    static func curve(_ name: String, group: String, runs: [RunFolder]) -> Curve {
        var byEpoch: [Int: [Double]] = [:]
        for run in runs {
            for record in run.monitorReadings {
                if let value = record.values[name], value.isFinite { byEpoch[record.epoch, default: []].append(value) }
            }
        }
        let epochs = byEpoch.keys.sorted()
        return Curve(
            group: group, epochs: epochs,
            mean: epochs.map { byEpoch[$0]!.reduce(0, +) / Double(byEpoch[$0]!.count) })
    }

    /// Each chart as an inline SVG, in `charts` order.
    func chartSVGs() -> [(name: String, svg: String)] {
        charts.map { chart in
            let series = chart.curves.enumerated().map { index, curve in
                LineChart.Series(
                    name: curve.group,
                    points: zip(curve.epochs, curve.mean).map { LineChart.Point(x: Double($0), y: $1) },
                    color: ExperimentComparison.colors[index % ExperimentComparison.colors.count])
            }
            var lineChart = LineChart(
                title: chart.title, series: series, xLabel: MonitorSection.xLabel,
                xName: "epochs trained")
            lineChart.width = 480
            return (chart.name, lineChart.svg())
        }
    }

    /// "first → last" of each group's curve for `name`, or "–".
    func change(_ name: String, group: String) -> String {
        guard let curve = charts.first(where: { $0.name == name })?.curves.first(where: { $0.group == group }),
            let first = curve.mean.first, let last = curve.mean.last
        else { return "–" }
        return "\(HTMLText.number(first)) → \(HTMLText.number(last))"
    }

    /// The table's rows: per group, each monitored value at the first and last monitored epoch.
    var tableColumns: [String] { ["group"] + charts.map { String($0.name.dropFirst(MonitorReading.prefix.count)) } }

    func tableRows(groups: [String]) -> [[String]] {
        groups.map { group in [group] + charts.map { change($0.name, group: group) } }
    }
}
