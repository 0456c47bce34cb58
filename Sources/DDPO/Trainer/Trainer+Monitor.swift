import DiffusionModels
import Foundation
import Rewards

/// The trainer's side of the over-optimisation monitors: it builds one
/// `OverOptimisationMonitor` from `monitor:` and calls it at epoch 0 and every
/// `monitor.every` epochs; the rule `monitor.stop_after_falls` may end the run.
extension Trainer {
    /// The monitor's prompts are drawn as at this epoch, which no training epoch
    /// reaches and the evaluation (at `evaluationEpoch`) does not use either.
    static let monitorEpoch = 2_000_000

    /// nil when `monitor.every` is 0. `klReference` must be the trainer's (built
    /// whenever the monitors are on). A multi-task run monitors its first task: that
    /// task's reward, on `monitor.prompts` (default: that task's prompts).
    static func makeMonitor(configuration: TrainingConfiguration, sampler: TrajectorySampler, task: TrainingTask,
                            rewards: RewardRegistry, klReference: KLReference?) throws -> OverOptimisationMonitor? {
        let settings = configuration.monitor
        guard settings.isOn, let klReference else { return nil }
        let reward = task.reward
        let promptSet = try PromptSets.make(settings.prompts ?? configuration.effectiveTasks[0].prompt)
        let prompts = PromptSampler(promptSet: promptSet, seed: configuration.seed)
            .prompts(epoch: monitorEpoch, batch: 0, batchSize: settings.images)
        let diversity: any Reward
        do {
            diversity = try rewards.make(RewardConfiguration(name: settings.diversity.name,
                                                             options: settings.diversity.options))
        } catch {
            throw ConfigurationError(field: "monitor.diversity", message: "\(error)")
        }
        let sample = configuration.sample
        return OverOptimisationMonitor(
            sampler: sampler, reward: reward, diversity: diversity, prompts: prompts,
            seed: RunSeeds.seed(configuration.seed, epoch: monitorEpoch, purpose: .monitoring),
            options: SamplingOptions(steps: sample.numSteps, guidanceScale: sample.guidanceScale, eta: sample.eta,
                                     height: sample.height, width: sample.width),
            batchSize: sample.batchSize, klReference: klReference)
    }

    var stopRule: MonitorStopRule { MonitorStopRule(falls: configuration.monitor.stopAfterFalls) }

    /// Whether the monitors' history (restored on resume) already says stop.
    var stoppedEarly: Bool { monitor != nil && stopRule.shouldStop(after: monitorHistory.heldOutRewards) }

    /// Measures when due (epoch 0, then every `monitor.every` epochs), hands the
    /// reading to `onMonitor`, and returns whether the stop rule now fires.
    func monitorIfDue() async throws -> Bool {
        guard let monitor, epoch % configuration.monitor.every == 0 else { return false }
        let reading = try await monitor.measure(epoch: epoch)
        monitorHistory.record(reading)
        try onMonitor?(reading)
        logger.info("monitor", metadata: [
            "epoch": "\(epoch)", "heldout_reward": "\(reading.heldOutReward)",
            "diversity": "\(reading.diversity)", "kl_to_base": "\(reading.klToBase)"])
        guard stoppedEarly else { return false }
        logger.warning("""
            early stop: the held-out reward fell \(stopRule.falls) monitor evaluations in a row \
            (monitor.stop_after_falls); saving, evaluating and ending the run
            """,
                       metadata: ["epoch": "\(epoch)", "heldout_rewards": "\(monitorHistory.heldOutRewards)"])
        return true
    }
}
