import Foundation

/// One line of metrics.jsonl, as `MetricsLog.read` returns it.
public struct MetricsRecord: Equatable, Sendable {
    public var step: Int
    public var epoch: Int
    /// Wall-clock time in seconds since 1970.
    public var time: Double
    /// The named values; NaN where the file has null (a value that was not finite).
    public var values: [String: Double]

    public init(step: Int, epoch: Int, time: Double, values: [String: Double]) {
        self.step = step
        self.epoch = epoch
        self.time = time
        self.values = values
    }

    /// Equal when every value is equal or both are NaN (NaN ≠ NaN would make a record
    /// with a diverged value unequal to itself).
    public static func == (a: MetricsRecord, b: MetricsRecord) -> Bool {
        a.step == b.step && a.epoch == b.epoch && a.time == b.time
            && a.values.count == b.values.count
            && a.values.allSatisfy { name, value in
                guard let other = b.values[name] else { return false }
                return value == other || (value.isNaN && other.isNaN)
            }
    }
}

extension MetricsLog {
    /// Every record of a metrics.jsonl file, in file order. A resumed run may have
    /// logged a step twice (once before the crash, once after the resume); both lines
    /// are returned, and the later one is the run's history.
    ///
    /// Blank lines are skipped, and so is a last line without a newline that is not
    /// valid JSON (a write a crash interrupted). Any other malformed line throws an
    /// error naming the file and line number.
    public static func read(_ fileURL: URL) throws -> [MetricsRecord] {
        let data: Data
        do {
            data = try Data(contentsOf: fileURL)
        } catch {
            throw MetricsFileError(path: fileURL.path, reason: "cannot read: \(error.localizedDescription)")
        }
        let endsWithNewline = data.last == UInt8(ascii: "\n")
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var records: [MetricsRecord] = []
        for (index, line) in lines.enumerated() where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
            do {
                records.append(try JSONDecoder().decode(DecodedLine.self, from: Data(line)).record)
            } catch {
                let isTornLastLine = index == lines.count - 1 && !endsWithNewline
                if isTornLastLine { break }
                throw MetricsFileError(path: fileURL.path, reason: "line \(index + 1): not a metrics record: \(error)")
            }
        }
        return records
    }
}

/// Decodes one line: the three reserved keys, then every other key as a number or null.
private struct DecodedLine: Decodable {
    var record: MetricsRecord

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var values: [String: Double] = [:]
        for key in container.allKeys where !MetricsLog.reservedNames.contains(key.stringValue) {
            values[key.stringValue] =
                try container.decodeNil(forKey: key) ? .nan : container.decode(Double.self, forKey: key)
        }
        record = MetricsRecord(
            step: try container.decode(Int.self, forKey: Key(stringValue: "step")),
            epoch: try container.decode(Int.self, forKey: Key(stringValue: "epoch")),
            time: try container.decode(Double.self, forKey: Key(stringValue: "time")),
            values: values)
    }
}
