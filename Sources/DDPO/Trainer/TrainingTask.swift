import DiffusionModels
import Foundation
import ImageCodecs
import Rewards
import Torch

/// One task of a run (`tasks:` entry, or the single task of the top-level prompt
/// and reward): its prompts, its reward and its own advantage statistics. Its
/// random streams derive from `seed` (`RunSeeds.taskSeed`), so each task samples
/// its own prompts and noise.
struct TrainingTask {
    let name: String
    let weight: Double
    let seed: UInt64
    let prompts: PromptSampler
    let reward: CheckedReward
    /// Per task: one task's rewards must not normalise another's.
    var estimator: AdvantageEstimator

    /// The configuration's tasks (`effectiveTasks`), in the order listed.
    static func make(configuration: TrainingConfiguration, rewards: RewardRegistry) throws -> [TrainingTask] {
        try configuration.effectiveTasks.enumerated().map { index, task in
            var options = task.reward.options
            if options["non_finite"] == nil { options["non_finite"] = configuration.nanRewards.rawValue }
            let seed = RunSeeds.taskSeed(configuration.seed, task: index)
            return TrainingTask(
                name: task.name, weight: task.weight, seed: seed,
                prompts: PromptSampler(promptSet: try PromptSets.make(task.prompt), seed: seed,
                                       samplesPerPrompt: configuration.advantages.samplesPerPrompt),
                reward: try rewards.make(RewardConfiguration(name: task.reward.name, options: options)),
                estimator: AdvantageEstimator(
                    strategy: configuration.advantages.strategy, advClipMax: configuration.train.advClipMax,
                    statTracker: PerPromptStatTracker(bufferSize: configuration.advantages.perPromptBufferSize,
                                                      minCount: configuration.advantages.perPromptMinCount)))
        }
    }

    /// Samples and scores one epoch of this task: `batches` sampling batches of
    /// `batchSize`, each from its own generator (`RunSeeds.seed(_:epoch:purpose:batch:)`),
    /// spread over `workers` threads (`OrderedWork`), so the samples do not depend on
    /// `workers`. Each batch is scored while later ones are sampled, unless the reward
    /// itself runs on libtorch: those are scored after sampling, in batch order. The
    /// advantages are left at 0: see `estimateAdvantages`.
    func sampleEpoch(epoch: Int, sampler: TrajectorySampler, options: SamplingOptions, batchSize: Int, batches: Int,
                     workers: Int, label: String, progress: ((String, Int, Int) -> Void)?) async throws -> TaskEpoch {
        var trajectories: [Trajectory] = []
        var pending: [Task<RewardBatch, Error>] = []
        var images: [RGBImage] = []  // the 8-bit images the reward saw, reused for the image logs
        let samplingStart = Date()
        var rewardWait = 0.0
        let reward = self.reward
        let stepProgress = SamplingProgress(label: label, total: batches * options.steps, report: progress)
        OrderedWork.run(count: batches, workers: workers, produce: { batch in
            let batchPrompts = prompts.prompts(epoch: epoch, batch: batch, batchSize: batchSize)
            let generator = Generator(seed: RunSeeds.seed(seed, epoch: epoch, purpose: .sampling, batch: batch))
            return sampler.sample(prompts: batchPrompts, options: options, generator: generator) { _, _ in
                stepProgress.stepDone()
            }
        }, deliver: { _, trajectory in
            trajectories.append(trajectory)
            let input = RewardInput(images: trajectory.images, prompts: trajectory.prompts)
            images += input.images
            // A libtorch reward must not overlap sampling (one OpenMP pool, DESIGN.md): scored below.
            if !reward.usesLibtorch { pending.append(Task { try await reward.score(input) }) }
        })
        if reward.usesLibtorch {
            let start = Date()
            for trajectory in trajectories {
                let scored = try await reward.score(RewardInput(images: trajectory.images, prompts: trajectory.prompts))
                pending.append(Task { scored })
            }
            rewardWait += Date().timeIntervalSince(start)
        }
        let waitStart = Date()
        var scored = RewardBatch(rewards: [])
        var batchValues: [Double] = []  // V(B) of each sampling batch, for distribution-level rewards
        for task in pending {
            let batch = try await task.value
            if let value = batch.batchValue { batchValues.append(value) }
            scored.dropped += batch.dropped.map { $0 + scored.rewards.count }
            scored.rewards += batch.rewards
            scored.info += batch.info
        }
        rewardWait += Date().timeIntervalSince(waitStart)
        let samplingSeconds = Date().timeIntervalSince(samplingStart) - rewardWait

        let allPrompts = trajectories.flatMap(\.prompts)
        let kept = scored.keptIndices
        let samples = EpochSamples(trajectories: trajectories, rewards: scored.rewards.map { $0.isFinite ? $0 : 0 },
                                   advantages: Array(repeating: 0, count: allPrompts.count)).selecting(kept)
        return TaskEpoch(samples: samples, droppedSamples: scored.droppedCount, images: images,
                         samplingSeconds: samplingSeconds, rewardWaitSeconds: rewardWait, batchValues: batchValues)
    }

    /// Fills in the epoch's advantages from its kept rewards (updating the
    /// per-prompt statistics). They stay unweighted: `weightedSamples` applies the weight.
    mutating func estimateAdvantages(_ epoch: inout TaskEpoch) throws {
        epoch.samples.advantages = try estimator.estimate(rewards: epoch.samples.rewards,
                                                          prompts: epoch.samples.prompts).advantages
    }
}

/// One task's samples of one epoch, and what its sampling cost.
struct TaskEpoch {
    /// The kept samples (non-finite rewards dropped), with their rewards and advantages.
    var samples: EpochSamples
    var droppedSamples: Int
    var images: [RGBImage]
    var samplingSeconds: Double
    var rewardWaitSeconds: Double
    /// A distribution-level reward's batch value V(B) per sampling batch; empty for per-image rewards.
    var batchValues: [Double] = []

    /// The samples with advantages × `weight`, what the policy update trains on.
    /// The weight scales the loss by the same factor: the PPO objective
    /// max(-A·r, -A·clip(r)) is positively homogeneous in A, the score-function
    /// loss linear in A. Applied after `train.adv_clip_max`'s clipping.
    func weightedSamples(_ weight: Double) -> EpochSamples {
        var weighted = samples
        weighted.advantages = samples.advantages.map { $0 * weight }
        return weighted
    }
}

/// Sampling progress over all of an epoch's batches (steps done of all steps), safe
/// to report from several sampling threads at once.
private final class SamplingProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let label: String
    private let total: Int
    private let report: ((String, Int, Int) -> Void)?
    private var done = 0

    init(label: String, total: Int, report: ((String, Int, Int) -> Void)?) {
        self.label = label
        self.total = total
        self.report = report
    }

    func stepDone() {
        guard let report else { return }
        lock.lock()
        defer { lock.unlock() }
        done += 1
        report(label, done, total)
    }
}
