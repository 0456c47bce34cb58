import DDPO
import Foundation
import RunLogging

/// What a run folder holds, read for the report. Any piece may be missing or
/// unreadable (a run that just started, one still in progress, a file from another
/// version): each is then nil or empty, with a message saying why, and the report
/// shows that instead of failing. Only a missing folder is an error.
public struct RunFolder {
    public var directory: URL
    /// `config.yaml` as written, for showing verbatim.
    public var configurationText: String?
    /// `config.yaml` decoded; nil when it is missing or does not decode.
    public var configuration: TrainingConfiguration?
    /// When `config.yaml` was written: the trainer writes it when a run starts.
    public var started: Date?
    /// One metrics record per epoch, by epoch. A resumed run may have logged an
    /// epoch twice; the later line is the run's history and wins.
    public var epochs: [MetricsRecord] = []
    /// The over-optimisation monitors' records (values `monitor/…` only), by the
    /// epochs trained when measured; the lines of an epoch merged, later values winning.
    public var monitorReadings: [MetricsRecord] = []
    /// `evaluations/epoch-NNNNNN.json`, by epoch.
    public var evaluations: [Evaluation] = []
    /// A multi-task run's evaluations, `evaluations/<task>/epoch-NNNNNN.json` by
    /// epoch, by task name (empty for a single-task run).
    public var taskEvaluations: [String: [Evaluation]] = [:]
    /// What could not be read, one sentence each (shown at the top of the report).
    public var problems: [String] = []

    public var name: String { directory.lastPathComponent }
    public var evaluationDirectory: URL { directory.appendingPathComponent("evaluations") }

    public init(directory: URL) {
        self.directory = directory
    }

    /// Reads `directory`; throws `RunReportError.noRunFolder` if it is not a folder.
    public static func read(_ directory: URL) throws -> RunFolder {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw RunReportError.noRunFolder(path: directory.path)
        }
        var run = RunFolder(directory: directory)
        run.readConfiguration()
        run.readMetrics()
        run.readEvaluations()
        return run
    }

    private mutating func readConfiguration() {
        let url = directory.appendingPathComponent("config.yaml")
        guard FileManager.default.fileExists(atPath: url.path) else {
            problems.append("No config.yaml in the run folder.")
            return
        }
        do {
            configurationText = try String(contentsOf: url, encoding: .utf8)
            started = try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date
            configuration = try TrainingConfiguration.load(yaml: url)
        } catch {
            problems.append("config.yaml could not be read: \(error)")
        }
    }

    private mutating func readMetrics() {
        let url = directory.appendingPathComponent("metrics.jsonl")
        guard FileManager.default.fileExists(atPath: url.path) else { return }  // no epoch finished yet
        do {
            var byEpoch: [Int: MetricsRecord] = [:]
            var monitorByEpoch: [Int: MetricsRecord] = [:]
            for record in try MetricsLog.read(url) {
                // A monitor line shares its epoch number with a training line: keep both.
                if record.values.keys.contains(where: { $0.hasPrefix(MonitorReading.prefix) }) {
                    // A multi-task run logs one line per task and check: merged, later values winning.
                    var merged = monitorByEpoch[record.epoch] ?? record
                    merged.values.merge(record.values) { $1 }
                    monitorByEpoch[record.epoch] = merged
                } else {
                    byEpoch[record.epoch] = record
                }
            }
            epochs = byEpoch.keys.sorted().map { byEpoch[$0]! }
            monitorReadings = monitorByEpoch.keys.sorted().map { monitorByEpoch[$0]! }
        } catch {
            problems.append("metrics.jsonl could not be read: \(error)")
        }
    }

    private mutating func readEvaluations() {
        do {
            evaluations = try Evaluation.readAll(in: evaluationDirectory).sorted { $0.epoch < $1.epoch }
        } catch {
            problems.append("The evaluations could not be read: \(error)")
        }
        for task in configuration?.tasks ?? [] {
            do {
                taskEvaluations[task.name] = try Evaluation.readAll(
                    in: evaluationDirectory.appendingPathComponent(task.name)
                )
                .sorted { $0.epoch < $1.epoch }
            } catch {
                problems.append("The evaluations of task \(task.name) could not be read: \(error)")
            }
        }
    }
}

public enum RunReportError: Error, CustomStringConvertible, Equatable {
    case noRunFolder(path: String)
    /// An evaluation grid that does not match its JSON (file name, reason).
    case badGrid(String, String)

    public var description: String {
        switch self {
        case .noRunFolder(let path):
            return "no run folder at '\(path)' (expected runs/<run_name>, as ddpo train writes)"
        case .badGrid(let file, let reason): return "\(file): \(reason)"
        }
    }
}
