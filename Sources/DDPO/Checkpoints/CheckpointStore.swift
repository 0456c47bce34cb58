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
    /// Whether its files were checked against a manifest; false for a checkpoint
    /// written before manifests existed (accepted unchecked: the caller warns).
    public var hasManifest = true
}

/// The checkpoint a resume continues from (`CheckpointStore.resumePoint`).
public struct ResumePoint {
    /// The newest intact checkpoint; nil when the run has none (it starts at epoch 0).
    public var checkpoint: Checkpoint?
    /// Newer checkpoints found damaged and set aside (only with `fallBackToLastGood`),
    /// newest first: where each was moved, and what was wrong with it.
    public var setAside: [(movedTo: URL, problem: CheckpointError)] = []
}

/// Checkpoints in `<run>/checkpoints/epoch-NNNNNN/`, each written completely into
/// a temporary folder and then renamed into place, so a crash mid-write leaves the
/// previous checkpoints valid; only the newest `kept` are kept.
///
/// Each checkpoint has a `manifest.json` with every file's size and SHA-256
/// (`CheckpointManifest`), written before the rename; `load` checks the files against
/// it and that state.json's epoch is the folder's, and names the file that is wrong.
/// A checkpoint without a manifest (written before they existed) still loads.
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
    static let requiredFiles = [weightsFile, optimizerFile, stateFile]

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
            // Last, from the files as they are on disk: the checkpoint is complete once this exists.
            let manifest = try CheckpointManifest.make(folder: temporary, names: Self.requiredFiles)
            try AtomicFile.write(
                path: temporary.appendingPathComponent(CheckpointManifest.fileName).path,
                bytes: Array(try encoder.encode(manifest)))
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

    /// Loads the checkpoint in `url` after checking it (`checkedState`).
    public func load(_ url: URL) throws -> Checkpoint {
        let (state, hasManifest) = try checkedState(url)
        func tensors(_ name: String) throws -> [String: Tensor] {
            let file = url.appendingPathComponent(name)
            do { return try Safetensors.load(file) } catch {
                throw CheckpointError(path: file.path, reason: "unreadable tensors (\(error))")
            }
        }
        return Checkpoint(
            directory: url, state: state, trainableWeights: try tensors(Self.weightsFile),
            optimizerState: try tensors(Self.optimizerFile), hasManifest: hasManifest)
    }

    /// The state of the checkpoint in `url`, after checking its files against its
    /// manifest (when it has one: `hasManifest`) and that the state's epoch is the one
    /// its folder is named after. The tensors are not parsed. Throws a
    /// `CheckpointError` naming the file that is wrong.
    public func checkedState(_ url: URL) throws -> (state: CheckpointState, hasManifest: Bool) {
        let manifest = try CheckpointManifest.read(folder: url)
        try manifest?.verify(folder: url, required: Self.requiredFiles)
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
        if let folderEpoch = Self.epoch(ofFolder: url), folderEpoch != state.epoch {
            throw CheckpointError(
                path: stateURL.path,
                reason: "says epoch \(state.epoch) but its folder is \(url.lastPathComponent) (epoch \(folderEpoch)):"
                    + " the checkpoint is inconsistent and is not used")
        }
        return (state, manifest != nil)
    }

    /// The epoch a checkpoint folder's name gives (`epoch-000006` → 6); nil for other names.
    static func epoch(ofFolder url: URL) -> Int? {
        let name = url.lastPathComponent
        guard name.hasPrefix(prefix) else { return nil }
        return Int(name.dropFirst(prefix.count))
    }

    /// The checkpoint a resume continues from: the newest, when it is intact. When it
    /// is damaged (a file differs from the manifest, state.json's epoch is not the
    /// folder's, a file is unreadable), this throws an error naming the file, what is
    /// wrong and the newest intact checkpoint before it, unless `fallBackToLastGood`:
    /// then the damaged newer ones are set aside (renamed `.epoch-NNNNNN.damaged-…`, kept
    /// for inspection, never loaded or pruned as checkpoints) and the newest intact
    /// one is returned. Throws when no checkpoint is intact.
    public func resumePoint(fallBackToLastGood: Bool) throws -> ResumePoint {
        var damaged: [(url: URL, problem: CheckpointError)] = []
        var intact: Checkpoint?
        for url in try checkpoints().reversed() {
            do {
                if damaged.isEmpty || fallBackToLastGood {
                    intact = try load(url)
                } else {
                    // Only to name the checkpoint to fall back to: the tensors are not needed.
                    intact = Checkpoint(
                        directory: url, state: try checkedState(url).state, trainableWeights: [:],
                        optimizerState: [:])
                }
                break
            } catch let error as CheckpointError {
                damaged.append((url, error))
            }
        }
        guard let newestDamaged = damaged.first else { return ResumePoint(checkpoint: intact) }
        guard let intact else {
            throw CheckpointError(
                path: newestDamaged.problem.path,
                reason: newestDamaged.problem.reason
                    + "; no checkpoint of this run is intact (\(damaged.count) checked), so it cannot be resumed")
        }
        guard fallBackToLastGood else {
            throw CheckpointError(
                path: newestDamaged.problem.path,
                reason: newestDamaged.problem.reason
                    + "; the newest checkpoint \(newestDamaged.url.lastPathComponent) cannot be resumed. The newest"
                    + " intact one is \(intact.directory.path) (epoch \(intact.state.epoch)): resume from it with"
                    + " --resume-from-last-good (Trainer(resumeFromLastGood: true)), which sets the damaged"
                    + " checkpoint(s) aside and trains their epochs again")
        }
        var point = ResumePoint(checkpoint: intact)
        for (url, problem) in damaged {
            let aside = directory.appendingPathComponent(".\(url.lastPathComponent).damaged-\(UUID().uuidString)")
            do {
                try FileManager.default.moveItem(at: url, to: aside)
            } catch {
                throw CheckpointError(path: url.path, reason: "cannot set the damaged checkpoint aside (\(error))")
            }
            point.setAside.append((aside, problem))
        }
        return point
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
