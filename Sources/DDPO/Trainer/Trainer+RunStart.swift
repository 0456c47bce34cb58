import Foundation
import Rewards
import RunLogging
import Torch

#if canImport(Glibc)
    import Glibc
#endif

extension Trainer {
    /// What rank 0 records at every start and resume, `epoch` being the epoch this
    /// start begins at: the start in `run.json` (`RunStartLog`), and in TensorBoard
    /// the configuration as text (`config`) and the hyper-parameters (HPARAMS tab),
    /// at that epoch.
    func recordRunStart(epoch: Int) throws {
        guard let runLog else { return }
        let start = runStart(epoch: epoch, time: Date())
        if let problem = try RunStartLog.append(start, directory: runDirectory) {
            logger.warning("run.json could not be read", metadata: ["problem": "\(problem)"])
        }
        try runLog.addText("config", "```yaml\n\(configuration.yamlString())```\n", step: epoch)
        try runLog.addHParams(
            RunHyperParameters.make(configuration, startTime: start.time.timeIntervalSince1970), step: epoch)
        try runLog.flush()
    }

    /// This start's facts: the program, the machine, the settings that shape speed
    /// and numerics, and the rewards' units.
    func runStart(epoch: Int, time: Date) -> RunStart {
        var start = RunStart(time: time)
        start.epoch = epoch
        start.version = SwiftDDPOVersion.current
        if let revision = WorkingDirectoryRevision.current() {
            start.gitCommit = revision.commit
            start.gitDirty = revision.isDirty
        }
        start.host = Self.hostName()
        start.cores = ProcessInfo.processInfo.activeProcessorCount
        start.libtorch = Runtime.version
        start.threads = Runtime.threadCount
        start.workers = threading.workers
        start.device = configuration.device
        start.dtype = configuration.dtype
        start.mixedPrecision = configuration.mixedPrecision.rawValue
        start.worldSize = dataParallel.worldSize
        start.seed = configuration.seed
        start.rewards = rewardUnits
        return start
    }

    /// The training reward of each task, and the monitors' diversity and fidelity rewards.
    var rewardUnits: [RunStart.RewardUnit] {
        func unit(_ role: String, _ task: String?, _ reward: any Reward) -> RunStart.RewardUnit {
            RunStart.RewardUnit(
                role: role, task: task, name: reward.name, unit: reward.unit, axisLabel: reward.axisLabel)
        }
        let taskName = { (name: String) in self.configuration.isMultiTask ? name : nil }
        var units = tasks.map { unit("reward", taskName($0.name), $0.reward) }
        if let monitor = monitors.first {
            units.append(unit("monitor.diversity", nil, monitor.diversity))
            if let fidelity = monitor.fidelity { units.append(unit("monitor.fidelity", nil, fidelity)) }
        }
        return units
    }

    /// gethostname(2): Foundation's `hostName` may ask the DNS, which can hang.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        let name = String(cString: buffer)
        return name.isEmpty ? "unknown" : name
    }
}
