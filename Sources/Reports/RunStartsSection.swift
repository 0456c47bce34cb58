import Foundation
import RunLogging

/// The report's "Run" section: each start of the trainer from `run.json` (the
/// first and every resume), with the program, the machine and the settings that
/// decide speed and numerics, so a result can be traced to what produced it.
enum RunStartsSection {
    static let columns = [
        "started", "at epoch", "swift-ddpo", "git commit", "host", "cores", "libtorch", "threads × workers",
        "device", "dtype", "processes"
    ]

    static func html(_ run: RunFolder) -> String {
        var html = "<section><h2>Run <span class=\"muted\">each start and resume, from run.json</span></h2>\n"
        guard !run.starts.isEmpty else {
            return html
                + "<p class=\"missing\">No run.json: the trainer writes it from swift-ddpo 0.2 on.</p>\n</section>\n"
        }
        html += "<div class=\"table-scroll\"><table>\n<tr>"
        html += columns.map { "<th>\(HTMLText.escape($0))</th>" }.joined() + "</tr>\n"
        for start in run.starts {
            html += "<tr>" + cells(start).map { "<td>\(HTMLText.escape($0))</td>" }.joined() + "</tr>\n"
        }
        return html + "</table></div>\n</section>\n"
    }

    /// One start's row, in `columns` order; "–" for what it does not record.
    static func cells(_ start: RunStart) -> [String] {
        func text<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "–" }
        // A short commit, as git prints it, and whether the checkout had changes.
        let commit = start.gitCommit.map {
            String($0.prefix(12)) + (start.gitDirty == true ? " (modified)" : "")
        }
        let threads = start.threads.map { threads in "\(threads) × \(start.workers.map(String.init) ?? "?")" }
        let autocast = start.mixedPrecision.flatMap { $0 == "no" ? nil : "autocast \($0)" }
        let precision = [start.dtype, autocast].compactMap { $0 }.joined(separator: ", ")
        return [
            RunReport.formatted(start.time), text(start.epoch), text(start.version), commit ?? "–",
            text(start.host), text(start.cores), text(start.libtorch), threads ?? "–", text(start.device),
            precision.isEmpty ? "–" : precision,
            text(start.worldSize)
        ]
    }
}
