import Files
import Foundation

/// `run.json` in a run folder: `{"starts": [...]}`, one `RunStart` per start of the
/// trainer, oldest first. The trainer appends at every start and resume; the report
/// reads it for the run's metadata, its reward units and its wall time.
///
/// Written atomically (`AtomicFile`): a crash leaves the old list or the new one.
/// Keys are snake_case (`git_commit`, `world_size`), times ISO 8601 in UTC with milliseconds.
public enum RunStartLog {
    public static let fileName = "run.json"

    private struct File: Codable {
        var starts: [RunStart]
    }

    /// The starts listed in `directory/run.json`; empty when there is no such file.
    /// Throws `MetricsFileError` naming the file when it cannot be read or decoded.
    public static func read(directory: URL) throws -> [RunStart] {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        do {
            return try decoder.decode(File.self, from: Data(contentsOf: url)).starts
        } catch {
            throw MetricsFileError(path: url.path, reason: "not a list of run starts: \(error)")
        }
    }

    /// Adds `start` to the list in `directory` (creating the file). An existing file
    /// that cannot be read is moved aside to `run.json.unreadable`, never lost, and
    /// a list is begun anew: the run must not stop over its metadata. Returns a
    /// sentence saying so in that case, for the log.
    @discardableResult
    public static func append(_ start: RunStart, directory: URL) throws -> String? {
        let url = directory.appendingPathComponent(fileName)
        var starts: [RunStart] = []
        var problem: String?
        do {
            starts = try read(directory: directory)
        } catch {
            let aside = url.appendingPathExtension("unreadable")
            try? FileManager.default.removeItem(at: aside)
            try? FileManager.default.moveItem(at: url, to: aside)
            problem = "\(error); moved to \(aside.lastPathComponent), a new list begun"
        }
        starts.append(start)
        try AtomicFile.write(path: url.path, bytes: Array(try encoder.encode(File(starts: starts))))
        return problem
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timeFormatter(fractionalSeconds: true).string(from: date))
        }
        return encoder
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard
                let date = timeFormatter(fractionalSeconds: true).date(from: text)
                    ?? timeFormatter(fractionalSeconds: false).date(from: text)
            else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "not an ISO 8601 time: \(text)")
            }
            return date
        }
        return decoder
    }

    /// ISO 8601 in UTC, with milliseconds when writing: the report's wall time adds
    /// up intervals between starts and records, and whole seconds would round each.
    private static func timeFormatter(fractionalSeconds: Bool) -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions =
            fractionalSeconds ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter
    }
}
