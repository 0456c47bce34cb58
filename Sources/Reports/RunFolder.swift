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
    /// `run.json`: each start of the trainer, oldest first (empty for runs made
    /// before it existed).
    public var starts: [RunStart] = []
    /// When each record was written, seconds since 1970: every metrics.jsonl line
    /// (replaced ones too) and every evaluation JSON file. The run's wall time ends at the last.
    public var recordTimes: [Double] = []
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
        run.readStarts()
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

    private mutating func readStarts() {
        do {
            starts = try RunStartLog.read(directory: directory)
        } catch {
            problems.append("run.json could not be read: \(error)")
        }
    }

    /// The reward unit recorded for `role` ("reward", "monitor.diversity", "monitor.fidelity")
    /// and `task` in the latest start; nil for runs without run.json.
    public func rewardUnit(role: String, task: String? = nil) -> RunStart.RewardUnit? {
        starts.last?.rewards?.first { $0.role == role && $0.task == task }
    }

    private mutating func readMetrics() {
        let url = directory.appendingPathComponent("metrics.jsonl")
        guard FileManager.default.fileExists(atPath: url.path) else { return }  // no epoch finished yet
        do {
            var byEpoch: [Int: MetricsRecord] = [:]
            var monitorByEpoch: [Int: MetricsRecord] = [:]
            for record in try MetricsLog.read(url) {
                recordTimes.append(record.time)
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
        recordTimes += Self.evaluationWriteTimes(in: evaluationDirectory)
        for task in configuration?.tasks ?? [] {
            let folder = evaluationDirectory.appendingPathComponent(task.name)
            do {
                taskEvaluations[task.name] = try Evaluation.readAll(in: folder).sorted { $0.epoch < $1.epoch }
            } catch {
                problems.append("The evaluations of task \(task.name) could not be read: \(error)")
            }
            recordTimes += Self.evaluationWriteTimes(in: folder)
        }
    }

    /// When each `epoch-NNNNNN.json` in `folder` was last written: the final evaluation
    /// comes after the last metrics line, and belongs to the run's time.
    private static func evaluationWriteTimes(in folder: URL) -> [Double] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasPrefix("epoch-") && $0.hasSuffix(".json") }.compactMap { name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)
            return (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970
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
