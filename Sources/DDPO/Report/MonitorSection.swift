/// The run report's "Over-optimisation monitors" section: held-out reward,
/// diversity and KL to the base model against the epochs trained, and whether the
/// run stopped early. Empty for a run without monitor values in metrics.jsonl.
enum MonitorSection {
    static let xLabel = "epochs trained (0 = before training)"

    static func html(_ run: RunFolder) -> String {
        let readings = run.monitorReadings
        guard !readings.isEmpty else { return "" }
        func series(_ name: String, _ key: String, _ color: String) -> LineChart.Series {
            LineChart.Series(name: name, points: readings.compactMap { record in
                record.values[key].map { LineChart.Point(x: Double(record.epoch), y: $0) }
            }, color: color)
        }
        func chart(_ title: String, _ series: [LineChart.Series]) -> String {
            LineChart(title: title, series: series, xLabel: xLabel, xName: "epochs trained").svg() + "\n"
        }
        var html = "<section><h2>Over-optimisation monitors <span class=\"muted\">fixed held-out prompts and noise,"
            + " from metrics.jsonl</span></h2>\n"
        html += "<p>\(HTMLText.escape(stopSentence(run)))</p>\n<div class=\"charts\">\n"
        html += chart("held-out reward (mean)", [series("held-out reward", MonitorReading.heldOutRewardName, "#2563eb")])
        html += chart("diversity", [series("diversity", MonitorReading.diversityName, "#16a34a")])
        html += chart("KL to the base model (per step, mean)", [series("KL to base", MonitorReading.klToBaseName, "#dc2626")])
        // The training reward's per-sample extras (e.g. shapes_alignment's match_all), one chart.
        let extraPrefix = MonitorReading.prefix + "heldout_"
        let extras = Set(readings.flatMap(\.values.keys)).filter { $0.hasPrefix(extraPrefix) }.sorted()
        let colors = ["#9333ea", "#ea580c", "#0d9488", "#64748b"]
        if !extras.isEmpty {
            html += chart("held-out reward extras", extras.enumerated().map {
                series(String($0.element.dropFirst(extraPrefix.count)), $0.element, colors[$0.offset % colors.count])
            })
        }
        return html + "</div>\n</section>\n"
    }

    /// The logged held-out rewards, by epoch.
    static func heldOutRewards(_ run: RunFolder) -> [(epoch: Int, value: Double)] {
        run.monitorReadings.compactMap { record in
            record.values[MonitorReading.heldOutRewardName].map { (epoch: record.epoch, value: $0) }
        }
    }

    /// The epoch the run stopped at before its planned end, by the configuration's
    /// rule applied to the logged held-out rewards (the rule the trainer applied);
    /// nil when it did not stop early or config.yaml is unreadable.
    static func earlyStopEpoch(_ run: RunFolder) -> Int? {
        guard let configuration = run.configuration,
              let stop = MonitorStopRule(falls: configuration.monitor.stopAfterFalls).stopEpoch(heldOutRewards(run)),
              stop < configuration.epochs else { return nil }
        return stop
    }

    /// Whether and why the run stopped early.
    static func stopSentence(_ run: RunFolder) -> String {
        guard let configuration = run.configuration else {
            return "Early stop unknown: config.yaml could not be read."
        }
        let rule = MonitorStopRule(falls: configuration.monitor.stopAfterFalls)
        guard rule.falls > 0 else { return "Early stop off (monitor.stop_after_falls: 0)." }
        let readings = heldOutRewards(run)
        guard let stop = earlyStopEpoch(run) else {
            return "No early stop: the held-out reward did not fall \(rule.falls) monitor evaluations in a row."
        }
        let last = readings.filter { $0.epoch <= stop }.suffix(rule.falls + 1)
        let values = last.map { "\(HTMLText.number($0.value)) (epoch \($0.epoch))" }.joined(separator: " → ")
        return "Stopped early after epoch \(stop) of \(configuration.epochs): the held-out reward fell"
            + " \(rule.falls) monitor evaluations in a row (monitor.stop_after_falls), \(values)."
    }
}
