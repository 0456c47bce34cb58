import Files
import Foundation
import Torch

/// The resumable state of a run besides its tensors.
public struct CheckpointState: Codable, Equatable, Sendable {
    public static let currentVersion = 1
    public var version: Int = currentVersion
    /// Epochs completed; a resumed run starts at this epoch.
    public var epoch: Int
    /// Optimizer steps taken so far.
    public var globalStep: Int
    /// The per-prompt reward buffers (empty for other advantage strategies); in a
    /// multi-task run, the first task's.
    public var statTracker: PerPromptStatTracker.State
    /// "lora" (only the adapters are saved) or "full" (every UNet weight).
    public var trainable: String
    /// The over-optimisation monitors' held-out rewards so far; nil in checkpoints
    /// of runs without monitors (and of versions before them), and of multi-task runs.
    public var monitor: MonitorHistory?
    /// A multi-task run's monitor histories, by task name; nil otherwise.
    public var taskMonitors: [String: MonitorHistory]?
    /// A multi-task run's buffers, by task name (`tasks:`); absent from a
    /// single-task run's state, whose file is as before tasks existed.
    public var taskStatTrackers: [String: PerPromptStatTracker.State]?
    /// The number of processes of a data-parallel run that wrote it; nil for one process.
    public var worldSize: Int?

    public init(
        epoch: Int, globalStep: Int, statTracker: PerPromptStatTracker.State, trainable: String,
        monitor: MonitorHistory? = nil, taskStatTrackers: [String: PerPromptStatTracker.State]? = nil,
        taskMonitors: [String: MonitorHistory]? = nil
    ) {
        self.epoch = epoch
        self.globalStep = globalStep
        self.statTracker = statTracker
        self.trainable = trainable
        self.monitor = monitor
        self.taskStatTrackers = taskStatTrackers
        self.taskMonitors = taskMonitors
    }
}

/// A checkpoint read back from disk.
public struct Checkpoint {
    public var directory: URL
    public var state: CheckpointState
    public var trainableWeights: [String: Tensor]
    public var optimizerState: [String: Tensor]
}

/// Checkpoints in `<run>/checkpoints/epoch-NNNNNN/`, each written completely into
/// a temporary folder and then renamed into place, so a crash mid-write leaves the
/// previous checkpoints valid; only the newest `kept` are kept.
///
/// No generator state is stored: every random draw of epoch e comes from
/// generators seeded by (run seed, e, purpose), so the epoch number restores them.
public struct CheckpointStore {
    public let directory: URL
    public let kept: Int

    static let prefix = "epoch-"
    static let stateFile = "state.json"
    static let weightsFile = "trainable.safetensors"
    static let optimizerFile = "optimizer.safetensors"

    public init(runDirectory: URL, kept: Int) {
        directory = runDirectory.appendingPathComponent("checkpoints")
        self.kept = max(kept, 1)
    }

    /// Writes a checkpoint for `state.epoch` and prunes old ones; returns its folder.
    @discardableResult
    public func save(
        state: CheckpointState, trainableWeights: [String: Tensor],
        optimizerState: [String: Tensor]
    ) throws -> URL {
        let fileManager = FileManager.default
        try createDirectory(directory)
        let name = Self.prefix + String(format: "%06d", state.epoch)
        let final = directory.appendingPathComponent(name)
        let temporary = directory.appendingPathComponent(".\(name).partial-\(UUID().uuidString)")
        try createDirectory(temporary)
        do {
            try Safetensors.save(trainableWeights, to: temporary.appendingPathComponent(Self.weightsFile))
            try Safetensors.save(optimizerState, to: temporary.appendingPathComponent(Self.optimizerFile))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(
                path: temporary.appendingPathComponent(Self.stateFile).path,
                bytes: Array(try encoder.encode(state)))
            if fileManager.fileExists(atPath: final.path) { try fileManager.removeItem(at: final) }
            try fileManager.moveItem(at: temporary, to: final)
        } catch {
            try? fileManager.removeItem(at: temporary)
            throw CheckpointError(path: final.path, reason: "cannot write the checkpoint: \(error)")
        }
        try prune()
        return final
    }

    /// Complete checkpoints, oldest first.
    public func checkpoints() throws -> [URL] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return names.filter { $0.hasPrefix(Self.prefix) && Int($0.dropFirst(Self.prefix.count)) != nil }
            .sorted().map { directory.appendingPathComponent($0) }
    }

    /// The checkpoint of `epoch`; an error listing the epochs there are when it is not kept.
    public func checkpoint(epoch: Int) throws -> Checkpoint {
        let kept = try checkpoints()
        guard let url = kept.first(where: { Int($0.lastPathComponent.dropFirst(Self.prefix.count)) == epoch }) else {
            let epochs = kept.compactMap { Int($0.lastPathComponent.dropFirst(Self.prefix.count)) }.map(String.init)
            throw CheckpointError(
                path: directory.path,
                reason: "holds no checkpoint of epoch \(epoch)"
                    + (epochs.isEmpty ? " (none at all)" : " (epochs kept: \(epochs.joined(separator: ", ")))"))
        }
        return try load(url)
    }

    /// The epoch of the newest checkpoint (from its folder's name, nothing loaded), or
    /// nil when the run has none.
    public func latestEpoch() throws -> Int? {
        try checkpoints().last.flatMap { Int($0.lastPathComponent.dropFirst(Self.prefix.count)) }
    }

    /// The newest checkpoint, or nil when the run has none.
    public func latest() throws -> Checkpoint? {
        guard let url = try checkpoints().last else { return nil }
        return try load(url)
    }

    public func load(_ url: URL) throws -> Checkpoint {
        let stateURL = url.appendingPathComponent(Self.stateFile)
        let state: CheckpointState
        do {
            state = try JSONDecoder().decode(CheckpointState.self, from: Data(contentsOf: stateURL))
        } catch {
            throw CheckpointError(path: stateURL.path, reason: "unreadable checkpoint state (\(error))")
        }
        guard state.version == CheckpointState.currentVersion else {
            throw CheckpointError(path: stateURL.path, reason: "checkpoint format \(state.version) is not supported")
        }
        return Checkpoint(
            directory: url, state: state,
            trainableWeights: try Safetensors.load(url.appendingPathComponent(Self.weightsFile)),
            optimizerState: try Safetensors.load(url.appendingPathComponent(Self.optimizerFile)))
    }

    private func prune() throws {
        let all = try checkpoints()
        for url in all.dropLast(kept) { try FileManager.default.removeItem(at: url) }
        // Leftovers of interrupted saves.
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.contains(".partial-")
        {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    private func createDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError(path: url.path, reason: "cannot create the folder (\(error.localizedDescription))")
        }
    }
}

/// A checkpoint that cannot be written or read, naming the file and the cause.
public struct CheckpointError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
