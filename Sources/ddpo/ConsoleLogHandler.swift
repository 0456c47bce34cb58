import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The executable's log lines on stderr, in one format whichever module logs:
/// for a person at a terminal `14:02:11 epoch  epoch=4 reward_mean=-1.912`, and
/// otherwise (a file, a pipe, a job log) one logfmt record per line,
/// `time=2026-12-07T14:02:11Z level=info logger=ddpo.train msg=epoch epoch=4 …`,
/// which log tools parse. Metadata keys come sorted, so lines of one kind line up.
struct ConsoleLogHandler: LogHandler {
    let label: String
    let isTerminal: Bool
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, logLevel: Logger.Level, isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.label = label
        self.logLevel = logLevel
        self.isTerminal = isTerminal
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        let all = metadata.merging(explicit ?? [:]) { $1 }
        let text = Self.line(
            level: level, message: "\(message)", metadata: all, label: label, isTerminal: isTerminal, date: Date())
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// One line, without its newline.
    static func line(
        level: Logger.Level, message: String, metadata: Logger.Metadata, label: String, isTerminal: Bool, date: Date
    ) -> String {
        let pairs = metadata.keys.sorted().map { "\($0)=\(quoted("\(metadata[$0]!)"))" }
        if isTerminal {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "HH:mm:ss"
            let time = formatter.string(from: date)
            // Info is the normal case; anything else says what it is.
            let levelText = level == .info ? "" : "\(level.rawValue.uppercased()) "
            return ([time, levelText + message] + pairs).joined(separator: " ")
        }
        let fields = [
            "time=\(ISO8601DateFormatter().string(from: date))", "level=\(level.rawValue)", "logger=\(label)",
            "msg=\(quoted(message))"
        ]
        return (fields + pairs).joined(separator: " ")
    }

    /// A value as logfmt writes it: bare when it has no space, quote or equals sign.
    static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\n" }) else {
            return value
        }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }

}
