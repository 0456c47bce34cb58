import Foundation

/// One start of a run's trainer (the first, or a resume), as `run.json` lists it:
/// where, with what and on what the run was going, so a report or a reader months
/// later can tell which code, library and machine made each stretch of it.
///
/// Every field but `time` is optional: a field a later version adds is absent from
/// older files, and a fact that could not be found (no `git`) is left out rather
/// than guessed.
public struct RunStart: Codable, Equatable, Sendable {
    /// The unit of one reward the run uses, for labelling charts.
    public struct RewardUnit: Codable, Equatable, Sendable {
        /// "reward" (the training reward, per task), "monitor.diversity" or "monitor.fidelity".
        public var role: String
        /// The task of a multi-task run; nil otherwise.
        public var task: String?
        /// The registry name, e.g. "jpeg_compressibility".
        public var name: String
        /// Short, "kB"; "" when the reward has none.
        public var unit: String
        /// The axis label, e.g. "reward (−JPEG kB)".
        public var axisLabel: String

        public init(role: String, task: String? = nil, name: String, unit: String, axisLabel: String) {
            self.role = role
            self.task = task
            self.name = name
            self.unit = unit
            self.axisLabel = axisLabel
        }
    }

    public var time: Date
    /// The epoch this start began at: 0 for the first, the checkpoint's on a resume.
    public var epoch: Int?
    /// `SwiftDDPOVersion.current` of the program that started.
    public var version: String?
    /// `git rev-parse HEAD` of the working directory, when it is a repository.
    public var gitCommit: String?
    /// Whether tracked files differed from that commit.
    public var gitDirty: Bool?
    public var host: String?
    /// The machine's active processors (`ProcessInfo.activeProcessorCount`).
    public var cores: Int?
    /// libtorch's version string.
    public var libtorch: String?
    /// libtorch's intra-op threads per worker, as set for this run.
    public var threads: Int?
    public var workers: Int?
    public var device: String?
    public var dtype: String?
    public var mixedPrecision: String?
    /// Processes of a data-parallel run (1 alone).
    public var worldSize: Int?
    /// The configured `seed`, from which every random stream of the run derives.
    public var seed: UInt64?
    public var rewards: [RewardUnit]?

    public init(time: Date) {
        self.time = time
    }
}
