import Foundation
import Logging
import RunLogging

#if canImport(Glibc)
    import Glibc
#endif

/// Progress of one phase of long work: a redrawn bar on a terminal
/// (`epoch 4  sampling [#####-----] 160/320 steps  41.2 steps/s  ETA 4.0 s`),
/// structured log lines (at most one per `logInterval`) otherwise.
final class ProgressBar {
    let title: String
    let total: Int
    /// What `done` counts ("steps", "micro-batches"), shown after the counts.
    let unit: String
    /// Where in the run this phase is, e.g. "epoch 4"; shown first.
    let context: String
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let logger: Logger
    private let start = Date()
    /// Off a terminal the first line comes after `logInterval` (or at the end): a
    /// phase shorter than that logs once.
    private lazy var lastLog = start
    private let logInterval: TimeInterval

    init(
        title: String, total: Int, unit: String = "", context: String = "", logger: Logger,
        logInterval: TimeInterval = 5
    ) {
        self.title = title
        self.total = max(total, 1)
        self.unit = unit
        self.context = context
        self.logger = logger
        self.logInterval = logInterval
    }

    func update(_ done: Int, detail: String = "") {
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0.01 ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? Double(total - done) / rate : nil
        if isTerminal {
            let width = 30
            let filled = min(width, done * width / total)
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            var parts = [context, title, "[\(bar)]", "\(done)/\(total)" + (unit.isEmpty ? "" : " \(unit)")]
            parts.append(String(format: "%.1f", rate) + (unit.isEmpty ? "/s" : " \(unit)/s"))
            if let remaining, done < total { parts.append("ETA " + ReadableNumber.duration(remaining)) }
            if !detail.isEmpty { parts.append(detail) }
            // Clear to the end of the line: a shorter redraw must not leave old characters.
            let line = "\r" + parts.filter { !$0.isEmpty }.joined(separator: "  ") + "\u{1B}[K"
            // A finished phase's bar goes: the log line that follows says what it did.
            FileHandle.standardError.write(Data((done >= total ? "\r\u{1B}[K" : line).utf8))
        } else if done >= total || Date().timeIntervalSince(lastLog) >= logInterval {
            lastLog = Date()
            var metadata: Logger.Metadata = [
                "done": "\(done)", "total": "\(total)", "rate_per_s": "\(String(format: "%.2f", rate))"
            ]
            if !unit.isEmpty { metadata["unit"] = "\(unit)" }
            if !context.isEmpty { metadata["context"] = "\(context)" }
            if let remaining, done < total { metadata["eta_s"] = "\(Int(remaining.rounded()))" }
            if !detail.isEmpty { metadata["detail"] = "\(detail)" }
            logger.info("\(title)", metadata: metadata)
        }
    }
}
