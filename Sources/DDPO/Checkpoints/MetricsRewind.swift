import Files
import Foundation
import RunLogging

/// Rewinds a run's `metrics.jsonl` to the checkpoint a resume continues from, so the
/// epochs trained after that checkpoint (and lost with the process) are not in the
/// file twice once they are trained again.
///
/// With the checkpoint of epoch E (E epochs done), the resumed run logs epoch E's
/// report (its "epoch" field is the 0-based index E) and the monitor readings after
/// it again: lines of epoch reports with epoch ≥ E and of monitor readings (only
/// `monitor/…` values) with epoch > E go; the monitor reading at E itself was taken
/// before the checkpoint was written and is kept, except at E = 0, which a resumed
/// run measures again. A line torn by a crash goes too; lines that are not JSON
/// objects with an integer "epoch" stay. The new file replaces the old atomically
/// (`AtomicFile`); nothing is written when no line goes.
enum MetricsRewind {
    /// Rewinds `file` (if it exists) to `epoch`; returns how many lines it removed.
    @discardableResult
    static func rewind(file: URL, toEpoch epoch: Int) throws -> Int {
        guard FileManager.default.fileExists(atPath: file.path) else { return 0 }
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw CheckpointError(path: file.path, reason: "cannot read the metrics to rewind them (\(error))")
        }
        var kept: [UInt8] = []
        kept.reserveCapacity(data.count)
        var removed = 0
        var start = data.startIndex
        while start < data.endIndex {
            guard let newline = data[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                removed += 1  // a torn last line
                break
            }
            let line = data[start..<newline]
            if keeps(line, epoch: epoch) { kept += line + [UInt8(ascii: "\n")] } else { removed += 1 }
            start = newline + 1
        }
        guard removed > 0 else { return 0 }
        try AtomicFile.write(path: file.path, bytes: kept)
        return removed
    }

    private static func keeps(_ line: Data, epoch resumed: Int) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
            let epoch = (object["epoch"] as? NSNumber)?.intValue
        else { return true }
        let values = object.keys.filter { !MetricsLog.reservedNames.contains($0) }
        let isMonitorReading =
            !values.isEmpty && values.allSatisfy { $0.hasPrefix(MonitorReading.prefix) }
        return isMonitorReading ? epoch < resumed || (epoch == resumed && resumed > 0) : epoch < resumed
    }
}
