import DDPO
import Files
import Foundation
import RunLogging
import Torch

/// `runs/<name>/report.html`: one self-contained page about a run (CSS inline,
/// images as data URIs, charts as inline SVG, no script, no URL), so it can be
/// mailed, archived or opened offline in any browser.
///
/// Sections: a summary, training curves per epoch, the over-optimisation monitors
/// (when the run had them), the before/after evaluation
/// grids with each prompt and reward, seconds per phase, and config.yaml. Whatever
/// the run does not have yet (an evaluation, a finished epoch, a finite value) is
/// shown as missing.
public enum RunReport {
    public static let fileName = "report.html"

    /// Reads the run folder and writes its report.html atomically; returns its URL.
    /// Throws only when `runDirectory` is not a folder or the file cannot be written.
    @discardableResult
    public static func write(runDirectory: URL, now: Date = Date()) throws -> URL {
        let run = try RunFolder.read(runDirectory)
        let url = runDirectory.appendingPathComponent(fileName)
        try AtomicFile.write(path: url.path, bytes: Array(html(for: run, now: now).utf8))
        return url
    }

    public static func html(for run: RunFolder, now: Date = Date()) -> String {
        let summary = RunSummary(run)
        let name = HTMLText.escape(run.name)
        let date = run.started.map(formatted) ?? "date unknown"
        var html = """
            <header><h1>DDPO run <code>\(name)</code></h1>
            <div class="muted">started \(date) · \(status(summary, stoppedEarly: MonitorSection.earlyStopEpoch(run) != nil)) · report written \(formatted(now))</div></header>

            """
        if !run.problems.isEmpty {
            html += "<section class=\"problems\"><h2>Could not read everything</h2><ul>\n"
            html += run.problems.map { "<li>\(HTMLText.escape($0))</li>\n" }.joined()
            html += "</ul></section>\n"
        }
        html += summarySection(run, summary)
        html += chartsSection(run)
        html += MonitorSection.html(run)
        // A multi-task run evaluates per task (evaluations/<task>/), not in evaluations/.
        html +=
            run.configuration?.isMultiTask == true
            ? TaskReport.evaluationSection(run, isFinished: summary.isFinished) : evaluationSection(run, summary)
        html += timingSection(run, summary)
        html += RunStartsSection.html(run)
        html += "<section><h2>Configuration <span class=\"muted\">config.yaml</span></h2>\n"
        html +=
            run.configurationText.map { "<pre>\(HTMLText.escape($0))</pre>\n" }
            ?? "<p class=\"missing\">No config.yaml.</p>\n"
        html +=
            "</section>\n<footer>Written by swift-ddpo from \(HTMLText.escape(run.directory.path)):"
            + " metrics.jsonl, evaluations/, config.yaml, run.json. Rebuild with <code>ddpo report RUN_DIR</code>.</footer>\n"
        return ReportStyle.page(title: "DDPO run \(run.name) (\(date))", body: html)
    }

    static func status(_ summary: RunSummary, stoppedEarly: Bool = false) -> String {
        let planned = summary.plannedEpochs.map { " of \($0)" } ?? ""
        if summary.completedEpochs == 0 { return "no epoch finished yet" }
        if stoppedEarly { return "stopped early by the monitors, \(summary.completedEpochs)\(planned) epochs" }
        if summary.isFinished { return "finished, \(summary.completedEpochs)\(planned) epochs" }
        return "in progress or stopped, \(summary.completedEpochs)\(planned) epochs"
    }

    private static func summarySection(_ run: RunFolder, _ summary: RunSummary) -> String {
        let configuration = run.configuration
        var rows: [(String, String)] = []
        rows.append(("Epochs", "\(summary.completedEpochs)" + (summary.plannedEpochs.map { " of \($0)" } ?? "")))
        rows.append(
            (
                "Samples per epoch",
                configuration.map {
                    "\($0.samplesPerEpoch) (\($0.sample.batchSize) × \($0.sample.numBatchesPerEpoch) batches)"
                        + ($0.isMultiTask ? " per task" : "")
                } ?? "unknown"
            ))
        rows.append(
            (
                "Algorithm",
                configuration.map {
                    $0.train.algorithm.rawValue + ($0.useLoRA ? ", LoRA rank \($0.lora.rank)" : ", full UNet")
                } ?? "unknown"
            ))
        if configuration?.isMultiTask == true {
            rows += TaskReport.summaryRows(run)
            rows.append(("Model", configuration?.model ?? "unknown"))
        } else {
            rows.append(("Reward", rewardText(run)))
            rows.append(("Model", configuration?.model ?? "unknown"))
            rows.append(("Prompts", configuration?.prompt.name ?? "unknown"))
        }
        rows.append(
            (
                "Seed",
                summary.configuredSeed.map {
                    "\($0) (config.yaml seed: every draw of the run, training and evaluation, derives from it)"
                } ?? "unknown"
            ))
        rows.append(("Total time", wallTimeText(run, summary)))
        rows.append(
            (
                "Time in epochs",
                summary.totalSeconds.map {
                    HTMLText.duration($0) + " (sampling, reward wait and training, summed over epochs)"
                } ?? "no epoch yet"
            ))
        var trend = "no epoch yet"
        if let first = summary.firstEpochReward, let last = summary.lastEpochReward {
            trend = "\(HTMLText.number(first)) → \(HTMLText.number(last)) (\(HTMLText.signed(last - first)))"
        }
        rows.append(("Mean reward, first → last epoch", trend))
        if configuration?.isMultiTask != true {
            let before = summary.before.map { HTMLText.number($0.meanReward) } ?? "not yet"
            let after = summary.after.map { HTMLText.number($0.meanReward) } ?? "not yet"
            rows.append(("Evaluation mean reward, before → after", "\(before) → \(after)"))
            rows.append(
                (
                    "Evaluation gain",
                    summary.evaluationGain.map { "<b>\(HTMLText.signed($0))</b>" }
                        ?? "needs both evaluations"
                ))
        }
        rows += monitorRows(run)
        var html = "<section><h2>Summary</h2>\n<div class=\"table-scroll\"><table class=\"summary\">\n"
        for (label, value) in rows {
            // Values are escaped where they come from files; the gain's <b> is ours.
            let cell = label == "Evaluation gain" ? value : HTMLText.escape(value)
            html += "<tr><th>\(HTMLText.escape(label))</th><td>\(cell)</td></tr>\n"
        }
        return html + "</table></div>\n</section>\n"
    }

    private static func chartsSection(_ run: RunFolder) -> String {
        func chart(_ title: String, _ key: String, spread: String? = nil, color: String, yLabel: String) -> String {
            let points = run.epochs.compactMap { record in
                record.values[key].map {
                    LineChart.Point(x: Double(record.epoch), y: $0, spread: spread.flatMap { record.values[$0] })
                }
            }
            var chart = LineChart(title: title, points: points, color: color, yLabel: yLabel)
            // A fraction of 0–1 reads best on its own linear scale, whatever its range.
            if linearOnly.contains(key) { chart.logScale = false }
            return chart.svg() + "\n"
        }
        var html = "<section><h2>Training <span class=\"muted\">per epoch, from metrics.jsonl</span></h2>\n"
        html += "<div class=\"charts\">\n"
        html += chart(
            "reward mean ± std", "reward_mean", spread: "reward_std", color: "#2563eb",
            yLabel: run.rewardUnit(role: "reward")?.axisLabel ?? "reward")
        html += TaskReport.rewardChart(run)
        for (title, key, color, yLabel) in trainingCharts {
            html += chart(title, key, color: color, yLabel: yLabel)
        }
        // The regularisation terms, only in runs that had them on.
        for (title, key, color, yLabel) in regularisationCharts
        where run.epochs.contains(where: { $0.values[key] != nil }) {
            html += chart(title, key, color: color, yLabel: yLabel)
        }
        return html + "</div>\n</section>\n"
    }

    /// Title, metrics.jsonl key, colour and y-axis label of the charts every run has.
    static let trainingCharts = [
        ("approx_kl", "approx_kl", "#9333ea", "approx. KL (nats)"),
        ("clipfrac", "clipfrac", "#ea580c", "fraction of ratios clipped"),
        ("loss", "loss", "#0d9488", "loss (objective)"),
        ("grad_norm (before clipping)", "grad_norm", "#64748b", "gradient L2 norm")
    ]

    static let linearOnly: Set<String> = ["clipfrac"]

    static let regularisationCharts = [
        ("kl_penalty (before weighting)", "kl_penalty", "#dc2626", "KL per step (nats)"),
        ("pretrain_loss (before weighting)", "pretrain_loss", "#16a34a", "denoising MSE")
    ]

    /// The reward's name with its unit (from run.json), e.g. "jpeg_compressibility, in kB: reward (−JPEG kB)".
    private static func rewardText(_ run: RunFolder) -> String {
        let name = run.configuration?.reward.name ?? "unknown"
        guard let unit = run.rewardUnit(role: "reward") else { return name }
        return name + (unit.unit.isEmpty ? "" : ", in \(unit.unit)") + ": charted as " + unit.axisLabel
    }

    /// The clock time from the run's starts to its last records, and what it includes.
    private static func wallTimeText(_ run: RunFolder, _ summary: RunSummary) -> String {
        guard let wall = summary.wallTime else {
            return run.starts.isEmpty
                ? "unknown: no run.json (written by the trainer from swift-ddpo 0.2 on)"
                : "unknown: nothing recorded after the start"
        }
        let starts =
            wall.starts == 1
            ? "" : "; \(wall.starts) starts, the time between a stop and the resume left out"
        return HTMLText.duration(wall.seconds)
            + " wall clock (model loading, sampling, training, evaluations and checkpoints\(starts))"
    }

    /// "before → after" rows of the monitors' held-out fidelity values (`monitor/fidelity*`)
    /// and diversity: the first and the last check.
    private static func monitorRows(_ run: RunFolder) -> [(String, String)] {
        let keys = Set(run.monitorReadings.flatMap(\.values.keys))
        let fidelityKeys = keys.filter { $0.hasPrefix(MonitorReading.fidelityName) }.sorted()
        let diversityKeys = keys.filter {
            $0 == MonitorReading.diversityName || $0.hasPrefix(MonitorReading.diversityName + "/")
        }.sorted()
        func change(_ key: String) -> String? {
            RunSummary.monitorChange(run, key: key).map {
                "\(HTMLText.number($0.first)) → \(HTMLText.number($0.last))"
            }
        }
        var rows: [(String, String)] = []
        // The fidelity and the diversity themselves, each in a row with its epochs.
        for key in fidelityKeys + diversityKeys {
            let (base, task) = MonitorSection.splitTask(key)
            guard base == MonitorReading.fidelityName || base == MonitorReading.diversityName,
                let change = RunSummary.monitorChange(run, key: key)
            else { continue }
            var label = base == MonitorReading.diversityName ? "Diversity" : "Held-out fidelity"
            if base == MonitorReading.fidelityName, let unit = run.rewardUnit(role: "monitor.fidelity") {
                label += " (\(unit.name))"
            }
            if let task { label += ", task \(task)" }
            rows.append(
                (
                    label + ", before → after",
                    "\(HTMLText.number(change.first)) → \(HTMLText.number(change.last))"
                        + " (\(HTMLText.signed(change.last - change.first)); monitor checks at epochs"
                        + " \(change.epochs.lowerBound) and \(change.epochs.upperBound))"
                ))
        }
        // The fidelity reward's extras (a recogniser reports many), one row per task.
        let extras = Dictionary(
            grouping: fidelityKeys.filter { MonitorSection.splitTask($0).base != MonitorReading.fidelityName },
            by: { MonitorSection.splitTask($0).task ?? "" })
        for task in extras.keys.sorted() {
            let parts = extras[task]!.compactMap { key in
                change(key).map {
                    "\(MonitorSection.splitTask(key).base.dropFirst(MonitorReading.fidelityName.count + 1)) \($0)"
                }
            }
            rows.append(
                (
                    "Held-out fidelity extras" + (task.isEmpty ? "" : ", task \(task)") + ", before → after",
                    parts.joined(separator: "; ")
                ))
        }
        return rows
    }

    private static func evaluationSection(_ run: RunFolder, _ summary: RunSummary) -> String {
        var html =
            "<section><h2>Evaluation <span class=\"muted\">the same prompts and noise before and after"
            + " training</span></h2>\n<div class=\"pair\">\n"
        html +=
            EvaluationPanel(
                title: "Before training", evaluation: summary.before,
                directory: run.evaluationDirectory, baseline: nil,
                missingMessage: "No evaluation of the base model (evaluations/epoch-000000.json).",
                runSeed: run.configuration?.seed
            )
            .html() + "\n"
        let pending =
            summary.isFinished
            ? "No evaluation after training was found."
            : "Not yet: the run evaluates again after its last epoch."
        html +=
            EvaluationPanel(
                title: "After training", evaluation: summary.after,
                directory: run.evaluationDirectory, baseline: summary.before,
                missingMessage: pending, runSeed: run.configuration?.seed
            ).html() + "\n"
        return html + "</div>\n</section>\n"
    }

    /// Seconds per epoch of each phase and of the whole epoch, so a slow epoch shows.
    private static func timeChart(_ run: RunFolder) -> String {
        let phases = [
            ("sampling", "time_sampling_s", "#2563eb"), ("reward wait", "time_reward_wait_s", "#ea580c"),
            ("training", "time_training_s", "#16a34a")
        ]
        var series = phases.map { name, key, color in
            LineChart.Series(
                name: name,
                points: run.epochs.compactMap { record in
                    record.values[key].map { LineChart.Point(x: Double(record.epoch), y: $0) }
                }, color: color)
        }
        series.append(
            LineChart.Series(
                name: "epoch (sum)",
                points: run.epochs.map { record in
                    LineChart.Point(
                        x: Double(record.epoch),
                        y: phases.compactMap { record.values[$0.1] }.filter(\.isFinite).reduce(0, +))
                }, color: "#334155"))
        var chart = LineChart(
            title: "seconds per epoch, by phase", series: series, xLabel: "epoch (from 0, as in metrics.jsonl)",
            xName: "epoch", yLabel: "seconds")
        // Time is read point by point (which epoch was slow): no smoothing, no log scale.
        chart.smoothingWeight = nil
        chart.logScale = false
        return chart.svg() + "\n"
    }

    private static func timingSection(_ run: RunFolder, _ summary: RunSummary) -> String {
        let phases = [
            ("sampling", summary.meanSampling), ("reward wait", summary.meanRewardWait),
            ("training", summary.meanTraining)
        ]
        let total = phases.compactMap(\.1).reduce(0, +)
        var html = "<section><h2>Time per epoch <span class=\"muted\">mean seconds</span></h2>\n"
        guard phases.contains(where: { $0.1 != nil }) else {
            return html + "<p class=\"missing\">No epoch finished yet.</p>\n</section>\n"
        }
        html +=
            "<div class=\"table-scroll\"><table>\n<tr><th>phase</th><th class=\"num\">seconds per epoch</th><th class=\"num\">share</th></tr>\n"
        for (phase, seconds) in phases {
            let share = seconds.map { total > 0 ? String(format: "%.0f %%", 100 * $0 / total) : "–" } ?? "–"
            html +=
                "<tr><td>\(phase)</td><td class=\"num\">\(seconds.map { String(format: "%.2f", $0) } ?? "–")"
                + "</td><td class=\"num\">\(share)</td></tr>\n"
        }
        html += "<tr><th>epoch</th><td class=\"num\"><b>\(String(format: "%.2f", total))</b></td><td></td></tr>\n"
        html += "</table></div>\n<div class=\"charts\">\n" + timeChart(run) + "</div>\n"
        return html + "</section>\n"
    }

    static func formatted(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
        return formatter.string(from: date)
    }
}
