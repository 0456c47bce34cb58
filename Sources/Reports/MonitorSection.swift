import DDPO
import RunLogging

/// The run report's "Over-optimisation monitors" section: held-out reward,
/// diversity and KL to the base model against the epochs trained (one line per
/// task in a multi-task run), and whether the run stopped early. Empty for a run
/// without monitor values in metrics.jsonl.
enum MonitorSection {
    static let xLabel = "epochs trained (0 = before training)"
    static let colors = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0d9488", "#64748b"]

    static func html(_ run: RunFolder) -> String {
        let readings = run.monitorReadings
        guard !readings.isEmpty else { return "" }
        let tasks = self.tasks(run)
        func series(_ name: String, _ key: String, _ color: String) -> LineChart.Series {
            LineChart.Series(
                name: name,
                points: readings.compactMap { record in
                    record.values[key].map { LineChart.Point(x: Double(record.epoch), y: $0) }
                }, color: color)
        }
        /// One series per task (a single one, named `label`, without tasks).
        func perTask(_ label: String, _ key: String, color: String) -> [LineChart.Series] {
            guard tasks != [nil] else { return [series(label, key, color)] }
            return tasks.enumerated().map { index, task in
                series(task ?? label, MonitorReading.name(key, task: task), colors[index % colors.count])
            }
        }
        func chart(_ title: String, _ series: [LineChart.Series], yLabel: String) -> String {
            LineChart(title: title, series: series, xLabel: xLabel, xName: "epochs trained", yLabel: yLabel).svg()
                + "\n"
        }
        var html =
            "<section><h2>Over-optimisation monitors <span class=\"muted\">fixed held-out prompts and noise,"
            + " from metrics.jsonl</span></h2>\n"
        html += "<p>\(HTMLText.escape(stopSentence(run)))</p>\n<div class=\"charts\">\n"
        html += chart(
            "held-out reward (mean)", perTask("held-out reward", MonitorReading.heldOutRewardName, color: "#2563eb"),
            yLabel: run.rewardUnit(role: "reward")?.axisLabel ?? "reward")
        let diversityUnit = run.rewardUnit(role: "monitor.diversity")?.unit ?? ""
        html += chart(
            "diversity", perTask("diversity", MonitorReading.diversityName, color: "#16a34a"),
            yLabel: diversityUnit.isEmpty ? "diversity" : "diversity (\(diversityUnit))")
        html += fidelityCharts(run, chart: chart)
        // A single task's KL also by thirds of the trajectory (noisiest first), when logged.
        let thirds =
            tasks == [nil]
            ? zip(["first third", "middle third", "last third"], MonitorReading.klToBaseThirdNames)
                .enumerated().filter { _, pair in readings.contains { $0.values[pair.1] != nil } }
                .map { index, pair in series(pair.0, pair.1, ["#f59e0b", "#a855f7", "#0f766e"][index]) } : []
        html += chart(
            "KL to the base model (per step, mean)",
            perTask("KL to base", MonitorReading.klToBaseName, color: "#dc2626") + thirds,
            yLabel: "KL per step (nats)")
        // The training reward's per-sample extras (e.g. shapes_alignment's match_all), one chart.
        let extras = extraKeys(readings, tasks: tasks)
        if !extras.isEmpty {
            // One line has no legend: its name goes into the title.
            html += chart(
                "held-out reward extras" + (extras.count == 1 ? ": \(extras[0].label)" : ""),
                extras.enumerated().map {
                    series($0.element.label, $0.element.key, colors[($0.offset + 3) % colors.count])
                }, yLabel: "mean over the held-out images")
        }
        return html + "</div>\n</section>\n"
    }

    /// A `monitor/…` name split into the value and the task of a multi-task run
    /// (`monitor/fidelity_match_all/shapes` → `monitor/fidelity_match_all`, `shapes`).
    static func splitTask(_ key: String) -> (base: String, task: String?) {
        let rest = key.dropFirst(MonitorReading.prefix.count)
        guard key.hasPrefix(MonitorReading.prefix), let slash = rest.firstIndex(of: "/") else { return (key, nil) }
        return (MonitorReading.prefix + rest[..<slash], String(rest[rest.index(after: slash)...]))
    }

    /// The held-out fidelity's charts: `monitor/fidelity` (the `monitor.fidelity`
    /// reward's mean), then its extras `monitor/fidelity_<extra>`, whatever they are,
    /// one chart per family of extras (the name up to its first "_": the recogniser's
    /// `match_all`, `match_shape`, … share one, `p_shape`, … another), a line per
    /// extra; in a multi-task run a line per task and extra.
    static func fidelityCharts(
        _ run: RunFolder, chart: (String, [LineChart.Series], String) -> String
    ) -> String {
        let keys = Set(run.monitorReadings.flatMap(\.values.keys)).filter { $0.hasPrefix(MonitorReading.fidelityName) }
        let extraPrefix = MonitorReading.fidelityName + "_"
        /// The family of a key: "" for the fidelity itself, else its extra's first word.
        func family(_ key: String) -> String {
            let base = splitTask(key).base
            guard base.hasPrefix(extraPrefix) else { return "" }
            let extra = base.dropFirst(extraPrefix.count)
            return String(extra.prefix { $0 != "_" })
        }
        func lineName(_ key: String) -> String {
            let (base, task) = splitTask(key)
            let extra = base.hasPrefix(extraPrefix) ? String(base.dropFirst(extraPrefix.count)) : "held-out fidelity"
            return task.map { "\($0) \(extra)" } ?? extra
        }
        let families = Dictionary(grouping: keys.sorted(), by: family)
        let fidelity = run.rewardUnit(role: "monitor.fidelity")
        var html = ""
        for name in families.keys.sorted() {
            let members = families[name]!
            let series = members.enumerated().map { index, key in
                LineChart.Series(
                    name: lineName(key),
                    points: run.monitorReadings.compactMap { record in
                        record.values[key].map { LineChart.Point(x: Double(record.epoch), y: $0) }
                    }, color: colors[(index + 1) % colors.count])
            }
            if name.isEmpty {
                html += chart(
                    "held-out fidelity (mean)" + (fidelity.map { ": \($0.name)" } ?? ""), series,
                    fidelity.map { $0.unit.isEmpty ? "fidelity" : "fidelity (\($0.unit))" } ?? "fidelity")
            } else {
                let extras = Set(members.map { splitTask($0).base })
                let title = extras.count == 1 ? lineName(members[0]) : "\(name)_*"
                html += chart("held-out fidelity: \(title)", series, "mean over the held-out images")
            }
        }
        return html
    }

    /// The tasks of a multi-task run's readings (`monitor/heldout_reward/<task>`),
    /// sorted; [nil] for a single-task run.
    static func tasks(_ run: RunFolder) -> [String?] {
        let prefix = MonitorReading.heldOutRewardName + "/"
        let names = Set(
            run.monitorReadings.flatMap(\.values.keys).filter { $0.hasPrefix(prefix) }
                .map { String($0.dropFirst(prefix.count)) })
        return names.isEmpty ? [nil] : names.sorted()
    }

    /// `monitor/heldout_<extra>` (or `…/<task>`) keys besides the held-out reward itself, with their labels.
    static func extraKeys(_ readings: [MetricsRecord], tasks: [String?]) -> [(key: String, label: String)] {
        let extraPrefix = MonitorReading.prefix + "heldout_"
        var result: [(key: String, label: String)] = []
        for task in tasks {
            let suffix = task.map { "/\($0)" } ?? ""
            let keys = Set(readings.flatMap(\.values.keys)).filter {
                $0.hasPrefix(extraPrefix) && $0.hasSuffix(suffix)
                    && $0 != MonitorReading.name(MonitorReading.heldOutRewardName, task: task)
                    && (task != nil || !$0.dropFirst(extraPrefix.count).contains("/"))
            }
            for key in keys.sorted() {
                let extra = String(key.dropFirst(extraPrefix.count).dropLast(suffix.count))
                result.append((key, task.map { "\($0) \(extra)" } ?? extra))
            }
        }
        return result
    }

    /// A task's logged held-out rewards (nil: a single-task run's), by epoch.
    static func heldOutRewards(_ run: RunFolder, task: String? = nil) -> [(epoch: Int, value: Double)] {
        let key = MonitorReading.name(MonitorReading.heldOutRewardName, task: task)
        return run.monitorReadings.compactMap { record in record.values[key].map { (epoch: record.epoch, value: $0) } }
    }

    /// The epoch the run stopped at before its planned end, by the configuration's
    /// rule applied to each task's logged held-out rewards (the rule the trainer
    /// applied: the first task to fall stops the run), and that task; nil when it did
    /// not stop early or config.yaml is unreadable.
    static func earlyStop(_ run: RunFolder) -> (epoch: Int, task: String?)? {
        guard let configuration = run.configuration else { return nil }
        let rule = MonitorStopRule(falls: configuration.monitor.stopAfterFalls)
        let stops = tasks(run).compactMap { task in rule.stopEpoch(heldOutRewards(run, task: task)).map { ($0, task) } }
        guard let first = stops.min(by: { $0.0 < $1.0 }), first.0 < configuration.epochs else { return nil }
        return (first.0, first.1)
    }

    static func earlyStopEpoch(_ run: RunFolder) -> Int? { earlyStop(run)?.epoch }

    /// Whether and why the run stopped early.
    static func stopSentence(_ run: RunFolder) -> String {
        guard let configuration = run.configuration else {
            return "Early stop unknown: config.yaml could not be read."
        }
        let rule = MonitorStopRule(falls: configuration.monitor.stopAfterFalls)
        guard rule.falls > 0 else { return "Early stop off (monitor.stop_after_falls: 0)." }
        guard let (stop, task) = earlyStop(run) else {
            return "No early stop: the held-out reward did not fall \(rule.falls) monitor evaluations in a row"
                + (tasks(run) == [nil] ? "." : " for any task.")
        }
        let last = heldOutRewards(run, task: task).filter { $0.epoch <= stop }.suffix(rule.falls + 1)
        let values = last.map { "\(HTMLText.number($0.value)) (epoch \($0.epoch))" }.joined(separator: " → ")
        return "Stopped early after epoch \(stop) of \(configuration.epochs): the held-out reward"
            + (task.map { " of task \($0)" } ?? "") + " fell"
            + " \(rule.falls) monitor evaluations in a row (monitor.stop_after_falls), \(values)."
    }
}
