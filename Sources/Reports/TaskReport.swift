import DDPO
import Foundation
import RunLogging

/// The report's per-task parts for a multi-task run (`tasks:`): a summary row per
/// task, one reward curve per task, and each task's before/after evaluations
/// (read from `evaluations/<task>/`). A single-task run has none of these.
enum TaskReport {
    /// Colours of the task curves, in task order (then repeated).
    static let colors = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0d9488"]

    /// The before (epoch 0) and latest after-training evaluations of one task.
    static func beforeAndAfter(_ evaluations: [Evaluation]) -> (before: Evaluation?, after: Evaluation?) {
        (evaluations.first { $0.epoch == 0 }, evaluations.last { $0.epoch > 0 })
    }

    /// Summary rows: "Task <name>" → its reward, prompts, weight and evaluation change.
    static func summaryRows(_ run: RunFolder) -> [(String, String)] {
        guard let tasks = run.configuration?.tasks else { return [] }
        let update = run.configuration?.multiTaskUpdate.rawValue ?? "unknown"
        var rows = [("Tasks", "\(tasks.count), multi_task_update \(update)")]
        for task in tasks {
            let (before, after) = beforeAndAfter(run.taskEvaluations[task.name] ?? [])
            var evaluation =
                "evaluation \(before.map { HTMLText.number($0.meanReward) } ?? "not yet")"
                + " → \(after.map { HTMLText.number($0.meanReward) } ?? "not yet")"
            if let before, let after { evaluation += " (\(HTMLText.signed(after.meanReward - before.meanReward)))" }
            rows.append(
                (
                    "Task \(task.name)",
                    "reward \(task.reward.name) on prompts \(task.prompt.name),"
                        + " weight \(HTMLText.number(task.weight)); \(evaluation)"
                ))
        }
        return rows
    }

    /// One chart with a `reward_mean/<task>` curve per task (± its `reward_std/<task>`).
    static func rewardChart(_ run: RunFolder) -> String {
        guard let tasks = run.configuration?.tasks else { return "" }
        let series = tasks.enumerated().map { index, task in
            LineChart.Series(
                name: task.name,
                points: run.epochs.compactMap { record in
                    record.values["reward_mean/\(task.name)"].map {
                        LineChart.Point(
                            x: Double(record.epoch), y: $0, spread: record.values["reward_std/\(task.name)"])
                    }
                }, color: colors[index % colors.count])
        }
        // One axis for all tasks: its label only when they share a unit.
        let labels = Set(tasks.map { run.rewardUnit(role: "reward", task: $0.name)?.axisLabel ?? "reward" })
        return LineChart(
            title: "reward mean ± std per task", series: series,
            xLabel: "epoch (from 0, as in metrics.jsonl)", xName: "epoch",
            yLabel: labels.count == 1 ? labels.first! : "reward (each task in its own unit)"
        ).svg() + "\n"
    }

    /// A before/after pair of panels per task.
    static func evaluationSection(_ run: RunFolder, isFinished: Bool) -> String {
        guard let tasks = run.configuration?.tasks else { return "" }
        var html =
            "<section><h2>Evaluation per task <span class=\"muted\">the same prompts and noise before and"
            + " after training, each task with its own prompts and reward</span></h2>\n"
        for (index, task) in tasks.enumerated() {
            let directory = run.evaluationDirectory.appendingPathComponent(task.name)
            let (before, after) = beforeAndAfter(run.taskEvaluations[task.name] ?? [])
            html +=
                "<h3>Task <code>\(HTMLText.escape(task.name))</code> <span class=\"muted\">"
                + "\(HTMLText.escape(task.reward.name))</span></h3>\n<div class=\"pair\">\n"
            html +=
                EvaluationPanel(
                    title: "Before training", evaluation: before, directory: directory, baseline: nil,
                    missingMessage: "No evaluation of the base model"
                        + " (evaluations/\(task.name)/epoch-000000.json).",
                    runSeed: run.configuration?.seed, taskIndex: index
                ).html() + "\n"
            html +=
                EvaluationPanel(
                    title: "After training", evaluation: after, directory: directory, baseline: before,
                    missingMessage: isFinished
                        ? "No evaluation after training was found."
                        : "Not yet: the run evaluates again after its last epoch.",
                    runSeed: run.configuration?.seed, taskIndex: index
                ).html() + "\n"
            html += "</div>\n"
        }
        return html + "</section>\n"
    }
}
