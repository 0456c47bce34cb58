import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Progress of long work: a redrawn bar on a terminal, structured log lines
/// (at most one per `logInterval`) otherwise.
final class ProgressBar {
    let title: String
    let total: Int
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let logger: Logger
    private let start = Date()
    private var lastLog = Date.distantPast
    private let logInterval: TimeInterval

    init(title: String, total: Int, logger: Logger, logInterval: TimeInterval = 5) {
        self.title = title
        self.total = max(total, 1)
        self.logger = logger
        self.logInterval = logInterval
    }

    func update(_ done: Int, detail: String = "") {
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0.01 ? Double(done) / elapsed : 0
        if isTerminal {
            let width = 30
            let filled = min(width, done * width / total)
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let line = String(format: "\r%@ [%@] %d/%d %.2f/s %@", title, bar, done, total, rate, detail)
            FileHandle.standardError.write(Data(line.utf8))
            if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if done >= total || Date().timeIntervalSince(lastLog) >= logInterval {
            lastLog = Date()
            logger.info(
                "\(title)",
                metadata: [
                    "done": "\(done)", "total": "\(total)", "rate_per_s": "\(String(format: "%.3f", rate))",
                    "detail": "\(detail)"
                ])
        }
    }
}
