import Files
import Foundation

/// Appends metrics to a JSON-lines file (conventionally `metrics.jsonl` in the run
/// folder): one JSON object per line, easy to read with `jq`, pandas
/// (`read_json(path, lines=True)`) or `MetricsLog.read`.
///
///     {"step":12,"epoch":3,"time":1718000000.25,"loss":0.0132,"reward_mean":3.5}
///
/// `step` and `epoch` are integers, `time` is the wall-clock time in seconds since
/// 1970, then come the named values in sorted order. The names step, epoch and time
/// are reserved.
///
/// Non-finite values: JSON has no NaN or infinity, so NaN, +inf and -inf are all
/// written as `null`, and `read` returns NaN for a null. (The sign of an infinity is
/// lost: either way the run has diverged, and a line that every JSON parser accepts
/// matters more.)
///
/// Durability: each line is written with one `write(2)` before `record` returns, so
/// a crash of the process loses nothing recorded; `flush()` fsyncs. A run that
/// resumes opens the same file and appends. If a crash tore the last line (it does
/// not end in a newline), reopening removes that partial line, and `read` skips it.
///
/// Not thread-safe: use a log from one thread.
public final class MetricsLog: MetricsSink {
    public static let reservedNames: Set<String> = ["step", "epoch", "time"]

    public let fileURL: URL
    private let file: AppendOnlyFile

    /// Opens `fileURL` for appending, creating it (not its folder) if needed.
    public init(fileURL: URL) throws {
        self.fileURL = fileURL
        try Self.removeTornLastLine(path: fileURL.path)
        file = try AppendOnlyFile.openForAppending(path: fileURL.path)
    }

    /// Appends one line stamped with `time` (seconds since 1970).
    public func record(_ values: [String: Double], step: Int, epoch: Int, time: Double) throws {
        try file.append(Array(Self.line(values, step: step, epoch: epoch, time: time).utf8))
    }

    /// `MetricsSink`: appends one line stamped with the current time.
    public func record(_ values: [String: Double], step: Int, epoch: Int) throws {
        try record(values, step: step, epoch: epoch, time: Date().timeIntervalSince1970)
    }

    /// fsyncs the file: every line recorded so far survives a machine crash.
    public func flush() throws {
        try file.sync()
    }

    /// Flushes and closes the file; later records throw.
    public func close() throws {
        try file.close()
    }

    /// The JSON line (with its newline) for one record.
    static func line(_ values: [String: Double], step: Int, epoch: Int, time: Double) -> String {
        var line = "{\"step\":\(step),\"epoch\":\(epoch),\"time\":\(number(time))"
        for name in values.keys.sorted() {
            precondition(!reservedNames.contains(name), "MetricsLog: '\(name)' is a reserved name")
            line += ",\(JSONText.quoted(name)):\(number(values[name]!))"
        }
        return line + "}\n"
    }

    /// Swift prints the shortest decimal that reads back as the same Double (e.g.
    /// 0.1, 1e-05, 1e+20), which is valid JSON; non-finite numbers become null.
    private static func number(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "null"
    }

    /// Truncates the file after its last newline, if it has content after it: that
    /// content is a line a crash interrupted, and appending after it would glue the
    /// next record onto it.
    private static func removeTornLastLine(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw MetricsFileError(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        guard let last = data.last, last != UInt8(ascii: "\n") else { return }
        let keep = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 - data.startIndex + 1 } ?? 0
        guard truncate(path, off_t(keep)) == 0 else {
            throw MetricsFileError(
                path: path, reason: "cannot remove a torn last line: \(String(cString: strerror(errno)))")
        }
    }
}
