import DDPO
import Files
import Foundation
import RunLogging
import Torch

/// Several runs of one task side by side, grouped by method (the paper's
/// comparison of DDPO-IS, DDPO-SF and RWR, in miniature): the training reward
/// against the number of reward queries, averaged over seeds, and a table of
/// what each method gained.
///
/// Reward queries are the images scored: every epoch queries the reward once per
/// sample, so with equal samples per epoch the methods are compared at equal cost.
/// Two gains are given per run: the training reward of the last epoch minus the
/// first's (different prompts and noise every epoch), and the fixed evaluation's
/// after minus before (the same prompts and noise, so a paired difference).
/// Spreads are standard errors over the runs of a group.
public struct ExperimentComparison: Codable, Equatable {
    public struct Curve: Codable, Equatable {
        public var rewardQueries: [Int]
        /// Mean over the group's runs of each epoch's mean reward, and its standard error.
        public var rewardMean: [Double]
        public var rewardStandardError: [Double]
    }

    public struct Group: Codable, Equatable {
        /// The method (`train.algorithm`) or another label the runs share.
        public var name: String
        public var runs: [String]
        public var curve: Curve
        public var firstEpochReward: Statistic
        public var lastEpochReward: Statistic
        public var trainingGain: Statistic
        public var evaluationBefore: Statistic?
        public var evaluationAfter: Statistic?
        public var evaluationGain: Statistic?
    }

    /// A mean over runs with its standard error (nil for a single run).
    public struct Statistic: Codable, Equatable {
        public var mean: Double
        public var standardError: Double?
        public var count: Int

        public init?(_ values: [Double]) {
            let finite = values.filter(\.isFinite)
            guard !finite.isEmpty else { return nil }
            count = finite.count
            mean = finite.reduce(0, +) / Double(count)
            if count > 1 {
                let m = mean
                let variance = finite.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(count - 1)
                standardError = (variance / Double(count)).squareRoot()
            }
        }

        /// "0.1234 ± 0.0056" (± the standard error, when there is one).
        public var text: String {
            HTMLText.number(mean) + (standardError.map { " ± " + HTMLText.number($0, digits: 2) } ?? "")
        }
    }

    public var title: String
    public var reward: String?
    public var groups: [Group]
    /// The groups' over-optimisation monitors (no charts when no run had them).
    public var monitors: MonitorComparison

    /// A run's configured algorithm (`train.algorithm`), the default grouping.
    public static func algorithmLabel(_ run: RunFolder) -> String {
        run.configuration?.train.algorithm.rawValue ?? "unknown"
    }

    /// Groups `runs` by `label` (default: the configured algorithm), in first-seen
    /// order; `monitorExtras` are the reward extras the monitor charts add (`MonitorComparison`).
    public init(
        title: String, runs: [RunFolder], monitorExtras: [String] = [],
        label: (RunFolder) -> String = algorithmLabel
    ) {
        self.title = title
        reward = runs.compactMap { $0.configuration?.reward.name }.first
        var order: [String] = []
        var byLabel: [String: [RunFolder]] = [:]
        for run in runs {
            let name = label(run)
            if byLabel[name] == nil { order.append(name) }
            byLabel[name, default: []].append(run)
        }
        groups = order.map { Self.group(name: $0, runs: byLabel[$0]!) }
        monitors = MonitorComparison(groups: order.map { (name: $0, runs: byLabel[$0]!) }, extras: monitorExtras)
    }

    static func group(name: String, runs: [RunFolder]) -> Group {
        // The curve stops at the shortest run, so every point averages all of them.
        let epochs = runs.map(\.epochs.count).min() ?? 0
        let samplesPerEpoch = runs.first?.configuration?.samplesPerEpoch ?? 0
        var curve = Curve(rewardQueries: [], rewardMean: [], rewardStandardError: [])
        for epoch in 0..<epochs {
            let statistic = Statistic(runs.map { $0.epochs[epoch].values["reward_mean"] ?? .nan })
            curve.rewardQueries.append((epoch + 1) * samplesPerEpoch)
            curve.rewardMean.append(statistic?.mean ?? .nan)
            curve.rewardStandardError.append(statistic?.standardError ?? .nan)
        }
        let first = runs.map { $0.epochs.first?.values["reward_mean"] ?? .nan }
        let last = runs.map { $0.epochs.last?.values["reward_mean"] ?? .nan }
        let summaries = runs.map(RunSummary.init)
        let nan = Double.nan
        return Group(
            name: name, runs: runs.map(\.name), curve: curve,
            firstEpochReward: Statistic(first) ?? .missing, lastEpochReward: Statistic(last) ?? .missing,
            trainingGain: Statistic(zip(last, first).map { $0 - $1 }) ?? .missing,
            evaluationBefore: Statistic(summaries.map { $0.before?.meanReward ?? nan }),
            evaluationAfter: Statistic(summaries.map { $0.after?.meanReward ?? nan }),
            evaluationGain: Statistic(summaries.map { $0.evaluationGain ?? nan }))
    }

    static let colors = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"]

    /// The table's column titles, shared by the Markdown and HTML tables.
    static let columns = [
        "method", "runs", "reward, first epoch", "reward, last epoch", "training gain",
        "evaluation before", "evaluation after", "evaluation gain (paired)"
    ]

    /// One group's row of the table, in `columns` order.
    static func cells(_ group: Group) -> [String] {
        [
            group.name, String(group.runs.count), group.firstEpochReward.text, group.lastEpochReward.text,
            group.trainingGain.text, group.evaluationBefore?.text ?? "–", group.evaluationAfter?.text ?? "–",
            group.evaluationGain?.text ?? "–"
        ]
    }

    /// The table as Markdown (for a README or a note).
    public func markdown() -> String {
        var text = "| " + Self.columns.joined(separator: " | ") + " |\n"
        text += "|" + String(repeating: "---|", count: Self.columns.count) + "\n"
        for group in groups {
            text += "| " + Self.cells(group).joined(separator: " | ") + " |\n"
        }
        guard !monitors.charts.isEmpty else { return text }
        text += "\nMonitors (first → last monitored epoch, mean over runs):\n\n"
        text += "| " + monitors.tableColumns.joined(separator: " | ") + " |\n"
        text += "|" + String(repeating: "---|", count: monitors.tableColumns.count) + "\n"
        for row in monitors.tableRows(groups: groups.map(\.name)) {
            text += "| " + row.joined(separator: " | ") + " |\n"
        }
        return text
    }

    /// The reward curves as one inline-SVG chart.
    public func chartSVG() -> String {
        let series = groups.enumerated().map { index, group in
            LineChart.Series(
                name: "\(group.name) (\(group.runs.count) run\(group.runs.count == 1 ? "" : "s"))",
                points: zip(group.curve.rewardQueries, zip(group.curve.rewardMean, group.curve.rewardStandardError))
                    .map { LineChart.Point(x: Double($0), y: $1.0, spread: $1.1.isFinite ? $1.1 : nil) },
                color: Self.colors[index % Self.colors.count])
        }
        var chart = LineChart(
            title: "\(reward ?? "reward"): mean per epoch ± standard error over runs",
            series: series, xLabel: "reward queries (images scored)", xName: "queries")
        chart.width = 720
        chart.height = 320
        return chart.svg()
    }

    /// A self-contained page: the chart and the table.
    public func html() -> String {
        var body = """
            <header><h1>\(HTMLText.escape(title))</h1></header>
            <section>\(chartSVG())</section>
            <section><div class="table-scroll"><table>
            <tr>\(Self.columns.map { "<th>\(HTMLText.escape($0))</th>" }.joined())</tr>

            """
        for group in groups {
            body += "<tr>" + Self.cells(group).map { "<td>\(HTMLText.escape($0))</td>" }.joined() + "</tr>\n"
        }
        body += """
            </table></div>
            <p class="muted">Gains are last minus first epoch of training (fresh prompts and noise each epoch) and
            after minus before on the run's fixed evaluation (same prompts and noise); ± is the standard error over
            runs.</p></section>
            \(monitorSection())
            """
        return ReportStyle.page(title: title, body: body, wide: true)
    }

    /// The monitors' charts and table; empty without monitors.
    func monitorSection() -> String {
        guard !monitors.charts.isEmpty else { return "" }
        var html =
            "<section><h2>Over-optimisation monitors <span class=\"muted\">fixed held-out prompts and noise;"
            + " mean over each group's runs</span></h2>\n<div class=\"charts\">\n"
        html +=
            monitors.chartSVGs().map { $0.svg + "\n" }.joined() + "</div>\n<div class=\"table-scroll\"><table>\n<tr>"
        html += monitors.tableColumns.map { "<th>\(HTMLText.escape($0))</th>" }.joined() + "</tr>\n"
        for row in monitors.tableRows(groups: groups.map(\.name)) {
            html += "<tr>" + row.map { "<td>\(HTMLText.escape($0))</td>" }.joined() + "</tr>\n"
        }
        return html + "</table></div>\n<p class=\"muted\">Each cell: the value at the first monitored epoch (before"
            + " training) → at the last.</p></section>\n"
    }

    /// The chart as a standalone SVG file (for a README or a paper).
    public func chartFile() -> String { Self.svgFile(chartSVG()) }

    /// An SVG file, unlike SVG inside HTML, must name its namespace.
    static func svgFile(_ svg: String) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + svg.replacingOccurrences(
                of: "<svg class=\"chart\"",
                with: "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\"")
            + "\n"
    }

    /// Writes comparison.html, comparison.svg, comparison.md and comparison.json into
    /// `directory`, and with monitors one SVG per monitored value (`monitor-kl_to_base.svg`, …).
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, svg) in monitors.chartSVGs() {
            // A task's value (`…/<task>`) becomes `monitor-<value>-<task>.svg`.
            let file =
                "monitor-" + name.dropFirst(MonitorReading.prefix.count).replacingOccurrences(of: "/", with: "-")
                + ".svg"
            try AtomicFile.write(
                path: directory.appendingPathComponent(file).path, bytes: Array(Self.svgFile(svg).utf8))
        }
        try AtomicFile.write(
            path: directory.appendingPathComponent("comparison.svg").path, bytes: Array(chartFile().utf8))
        try AtomicFile.write(path: directory.appendingPathComponent("comparison.html").path, bytes: Array(html().utf8))
        try AtomicFile.write(
            path: directory.appendingPathComponent("comparison.md").path, bytes: Array(markdown().utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        try AtomicFile.write(
            path: directory.appendingPathComponent("comparison.json").path,
            bytes: Array(try encoder.encode(self)))
    }
}

extension ExperimentComparison.Statistic {
    /// No finite value at all.
    static var missing: Self { Self(mean: .nan, standardError: nil, count: 0) }

    init(mean: Double, standardError: Double?, count: Int) {
        self.mean = mean
        self.standardError = standardError
        self.count = count
    }
}
