import DiffusionModels
import Foundation
import Logging
import Rewards
import RunLogging

/// The trainer's side of the over-optimisation monitors: it builds one
/// `OverOptimisationMonitor` per task from `monitor:` and calls them at epoch 0 and
/// every `monitor.every` epochs; the rule `monitor.stop_after_falls` may end the run.
extension Trainer {
    /// The monitor's prompts are drawn as at this epoch, which no training epoch
    /// reaches and the evaluation (at `evaluationEpoch`) does not use either.
    static let monitorEpoch = 2_000_000

    /// One monitor per task, in task order; none when `monitor.every` is 0.
    /// `klReference` must be the trainer's (built whenever the monitors are on). Each
    /// task's monitor scores its own reward on `monitor.prompts` (default: the task's
    /// prompts), with prompts and noise drawn from the task's seed; a multi-task
    /// run's readings carry the task's name.
    static func makeMonitors(
        configuration: TrainingConfiguration, sampler: TrajectorySampler, tasks: [TrainingTask],
        catalogue: Catalogue, klReference: KLReference?, workers: Int
    ) throws -> [OverOptimisationMonitor] {
        let settings = configuration.monitor
        guard settings.isOn, let klReference else { return [] }
        let sample = configuration.sample
        return try zip(tasks, configuration.effectiveTasks).map { task, entry in
            let promptSet = try catalogue.promptSets.make(settings.prompts ?? entry.prompt)
            let prompts = PromptSampler(promptSet: promptSet, seed: task.seed)
                .prompts(epoch: monitorEpoch, batch: 0, batchSize: settings.images)
            let diversity: any Reward
            do {
                diversity = try catalogue.rewards.make(
                    RewardConfiguration(
                        name: settings.diversity.name,
                        options: settings.diversity.options))
            } catch {
                throw ConfigurationError(field: "monitor.diversity", message: "\(error)")
            }
            var fidelity: (any Reward)?
            if let settings = settings.fidelity {
                do {
                    fidelity = try catalogue.rewards.make(
                        RewardConfiguration(name: settings.name, options: settings.options))
                } catch {
                    throw ConfigurationError(field: "monitor.fidelity", message: "\(error)")
                }
            }
            return OverOptimisationMonitor(
                sampler: sampler, reward: task.reward, diversity: diversity, fidelity: fidelity, prompts: prompts,
                seed: RunSeeds.seed(task.seed, epoch: monitorEpoch, purpose: .monitoring),
                options: sample.samplingOptions,
                batchSize: sample.batchSize, klReference: klReference,
                task: configuration.isMultiTask ? task.name : nil, workers: workers)
        }
    }

    /// A multi-task run's monitor histories by task name, for its checkpoints; nil otherwise.
    var taskMonitorHistories: [String: MonitorHistory]? {
        guard configuration.isMultiTask, !monitors.isEmpty else { return nil }
        return Dictionary(uniqueKeysWithValues: zip(tasks.map(\.name), monitorHistories))
    }

    /// The histories of a checkpoint (none yet for a task or a run the checkpoint
    /// did not monitor: it re-measures from its epoch on).
    func restoreMonitorHistories(_ checkpoint: Checkpoint) {
        guard !monitors.isEmpty else { return }
        if configuration.isMultiTask {
            monitorHistories = tasks.map { checkpoint.state.taskMonitors?[$0.name] ?? MonitorHistory() }
        } else {
            monitorHistories = [checkpoint.state.monitor ?? MonitorHistory()]
        }
    }

    var stopRule: MonitorStopRule { MonitorStopRule(falls: configuration.monitor.stopAfterFalls) }

    /// Whether the monitors' histories (restored on resume) already say stop: the
    /// held-out reward of any task fell `monitor.stop_after_falls` times in a row.
    var stoppedEarly: Bool { monitorHistories.contains { stopRule.shouldStop(after: $0.heldOutRewards) } }

    /// Measures when due (epoch 0, then every `monitor.every` epochs), each task in
    /// turn, hands each reading to `onMonitor`, and returns whether the stop rule now
    /// fires. In a data-parallel run rank 0 measures and tells the others its verdict.
    func monitorIfDue() async throws -> Bool {
        guard !monitors.isEmpty, epoch % configuration.monitor.every == 0 else { return false }
        let stop = dataParallel.isMain ? try await measureMonitors() : false
        return try dataParallel.broadcast(stop, "sharing the monitors' verdict at epoch \(epoch)")
    }

    private func measureMonitors() async throws -> Bool {
        for (index, monitor) in monitors.enumerated() {
            let reading = try await monitor.measure(epoch: epoch)
            monitorHistories[index].record(reading)
            try log(reading)
            try onMonitor?(reading)
            var metadata: Logger.Metadata = [
                "epoch": "\(epoch)", "heldout_reward": "\(ReadableNumber.text(reading.heldOutReward))",
                "diversity": "\(ReadableNumber.text(reading.diversity))",
                "kl_to_base": "\(ReadableNumber.text(reading.klToBase))"
            ]
            if let fidelity = reading.fidelity { metadata["fidelity"] = "\(ReadableNumber.text(fidelity))" }
            for (key, value) in reading.fidelityInfoMeans {
                metadata["fidelity_\(key)"] = "\(ReadableNumber.text(value))"
            }
            if let task = reading.task { metadata["task"] = "\(task)" }
            logger.info("monitor", metadata: metadata)
        }
        guard stoppedEarly else { return false }
        let falling = zip(tasks, monitorHistories).filter { stopRule.shouldStop(after: $0.1.heldOutRewards) }
        logger.warning(
            """
            early stop: the held-out reward fell \(stopRule.falls) monitor evaluations in a row \
            (monitor.stop_after_falls); saving, evaluating and ending the run
            """,
            metadata: [
                "epoch": "\(epoch)", "tasks": "\(falling.map(\.0.name))",
                "heldout_rewards": "\(falling.map(\.1.heldOutRewards))"
            ])
        return true
    }
}
