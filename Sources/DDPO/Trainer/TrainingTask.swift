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
    /// p3o and d3po: samples 2k and 2k + 1 are a pair of one prompt, kept or dropped
    /// together, whose advantages are ±A of their reward difference
    /// (`P3OObjective.pairAdvantages`), or for d3po ±h, which of the two is preferred.
    var pairs = false
    var pairsArePreferences = false
    var advClipMax = AdvantageEstimator.defaultAdvClipMax
    /// `reward: human`: the labels of a person replace the reward (set by the trainer,
    /// which knows the run folder).
    var humanLabels: HumanLabelWait?

    /// The configuration's tasks (`effectiveTasks`), in the order listed.
    static func make(configuration: TrainingConfiguration, catalogue: Catalogue) throws -> [TrainingTask] {
        try configuration.effectiveTasks.enumerated().map { index, task in
            var options = task.reward.options
            if options["non_finite"] == nil { options["non_finite"] = configuration.nanRewards.rawValue }
            let seed = RunSeeds.taskSeed(configuration.seed, task: index)
            return TrainingTask(
                name: task.name, weight: task.weight, seed: seed,
                prompts: PromptSampler(
                    promptSet: try catalogue.promptSets.make(task.prompt), seed: seed,
                    samplesPerPrompt: configuration.samplesPerPrompt),
                reward: try catalogue.rewards.make(RewardConfiguration(name: task.reward.name, options: options)),
                estimator: AdvantageEstimator(
                    strategy: configuration.advantages.strategy, advClipMax: configuration.train.advClipMax,
                    statTracker: PerPromptStatTracker(
                        bufferSize: configuration.advantages.perPromptBufferSize,
                        minCount: configuration.advantages.perPromptMinCount)),
                pairs: configuration.train.algorithm.trainsOnPairs,
                pairsArePreferences: configuration.train.algorithm == .d3po,
                advClipMax: configuration.train.advClipMax)
        }
    }

    /// Samples and scores this process's share of one epoch of this task: `batches`
    /// sampling batches of `batchSize`, the epoch's batches `firstBatch ..< firstBatch +
    /// batches` (a rank's share of a data-parallel epoch), each from its own generator
    /// (`RunSeeds.seed(_:epoch:purpose:batch:)`) and with its own prompts,
    /// spread over `workers` threads (`OrderedWork`), so the samples do not depend on
    /// `workers`. Each batch is scored while later ones are sampled, unless the reward
    /// itself runs on libtorch: those are scored after sampling, in batch order. The
    /// advantages are left at 0: see `estimateAdvantages`.
    func sampleEpoch(
        epoch: Int, sampler: TrajectorySampler, options: SamplingOptions, batchSize: Int, batches: Int,
        firstBatch: Int = 0, workers: Int, label: String,
        progress: ((String, Int, Int) -> Void)?
    ) async throws -> TaskEpoch {
        var trajectories: [Trajectory] = []
        var pending: [Task<RewardBatch, Error>] = []
        var images: [RGBImage] = []  // the 8-bit images the reward saw, reused for the image logs
        let samplingStart = Date()
        var rewardWait = 0.0
        let reward = self.reward
        let stepProgress = SamplingProgress(label: label, total: batches * options.steps, report: progress)
        OrderedWork.run(
            count: batches, workers: workers,
            produce: { index in
                let batch = firstBatch + index
                let batchPrompts = prompts.prompts(epoch: epoch, batch: batch, batchSize: batchSize)
                let generator = Generator(seed: RunSeeds.seed(seed, epoch: epoch, purpose: .sampling, batch: batch))
                return sampler.sample(prompts: batchPrompts, options: options, generator: generator) { _, _ in
                    stepProgress.stepDone()
                }
            },
            deliver: { _, trajectory in
                trajectories.append(trajectory)
                let input = RewardInput(images: trajectory.images, prompts: trajectory.prompts)
                images += input.images
                // A libtorch reward must not overlap sampling (one OpenMP pool, docs/design.md §5): scored below.
                if humanLabels == nil && !reward.usesLibtorch { pending.append(Task { try await reward.score(input) }) }
            })
        if let humanLabels {
            // The whole epoch's pairs at once: a person labels them while the trainer waits.
            let start = Date()
            let labelled = try await humanLabels.rewards(
                epoch: epoch, task: name, images: images, prompts: trajectories.flatMap(\.prompts)
            ) { answered, required in
                progress?(label.replacingOccurrences(of: "sampling", with: "labels"), answered, required)
            }
            pending.append(Task { labelled })
            rewardWait += Date().timeIntervalSince(start)
        } else if reward.usesLibtorch {
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
        // A pair trains only whole: a dropped sample takes its partner with it.
        let kept = pairs ? Self.wholePairs(scored.keptIndices) : scored.keptIndices
        let samples = EpochSamples(
            trajectories: trajectories, rewards: scored.rewards.map { $0.isFinite ? $0 : 0 },
            advantages: Array(repeating: 0, count: allPrompts.count)
        ).selecting(kept)
        let keptSet = Set(kept)
        let scoredRewards = scored.rewards.indices.map { keptSet.contains($0) ? scored.rewards[$0] : .nan }
        return TaskEpoch(
            samples: samples, droppedSamples: allPrompts.count - kept.count, images: images,
            samplingSeconds: samplingSeconds, rewardWaitSeconds: rewardWait, batchValues: batchValues,
            scoredPrompts: allPrompts, scoredRewards: scoredRewards)
    }

    /// Fills in the epoch's advantages from its kept rewards (updating the
    /// per-prompt statistics). They stay unweighted: `weightedSamples` applies the weight.
    ///
    /// In a data-parallel run the rewards and prompts of every rank are gathered first,
    /// in rank order (which is the epoch's batch order), so the statistics see the
    /// whole epoch exactly as one process drawing all its batches would, and a
    /// prompt's group may span ranks; every rank runs the same estimate (so the
    /// per-prompt buffers stay equal everywhere) and keeps its own samples' advantages.
    mutating func estimateAdvantages(_ epoch: inout TaskEpoch, across parallel: DataParallel = .single) throws {
        guard parallel.isDistributed else {
            epoch.samples.advantages = try advantages(rewards: epoch.samples.rewards, prompts: epoch.samples.prompts)
            epoch.wholeEpoch = WholeEpoch(
                prompts: epoch.samples.prompts, rewards: epoch.samples.rewards,
                advantages: epoch.samples.advantages, droppedSamples: epoch.droppedSamples,
                batchValues: epoch.batchValues)
            return
        }
        let rewards = try parallel.allGather(epoch.scoredRewards, "gathering the rewards of task '\(name)'")
        let prompts = try parallel.allGather(epoch.scoredPrompts, "gathering the prompts of task '\(name)'")
        let batchValues = try parallel.allGather(epoch.batchValues, "gathering the batch values of task '\(name)'")
        let kept = rewards.indices.filter { rewards[$0].isFinite }
        let advantages = try self.advantages(rewards: kept.map { rewards[$0] }, prompts: kept.map { prompts[$0] })
        // Every rank samples as many images, so this rank's are at rank × count.
        let offset = parallel.rank * epoch.scoredRewards.count
        let position = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($0.element, $0.offset) })
        epoch.samples.advantages = epoch.scoredRewards.indices.compactMap { local in
            position[offset + local].map { advantages[$0] }
        }
        epoch.wholeEpoch = WholeEpoch(
            prompts: kept.map { prompts[$0] }, rewards: kept.map { rewards[$0] },
            advantages: advantages, droppedSamples: rewards.count - kept.count,
            batchValues: batchValues)
    }
}

extension TrainingTask {
    /// The advantages of an epoch's kept rewards, in order: ±A per pair (p3o), ±h
    /// (d3po), else the estimator's (which updates its per-prompt statistics).
    mutating func advantages(rewards: [Double], prompts: [String]) throws -> [Double] {
        if pairs {
            return pairsArePreferences ? Self.pairPreferences(rewards) : Self.pairAdvantages(rewards, clip: advClipMax)
        }
        return try estimator.estimate(rewards: rewards, prompts: prompts).advantages
    }

    /// The indices of `kept` whose pair partner (2k ↔ 2k + 1) is kept too.
    static func wholePairs(_ kept: [Int]) -> [Int] {
        let keptSet = Set(kept)
        return kept.filter { keptSet.contains($0 ^ 1) }
    }

    /// Per sample of consecutive pairs: A for the first, −A for the second, A from
    /// `P3OObjective.pairAdvantages` of the pairs' rewards.
    static func pairAdvantages(_ rewards: [Double], clip: Double) -> [Double] {
        let (first, second) = splitPairs(rewards)
        return P3OObjective.pairAdvantages(first: first, second: second, clip: clip).flatMap { [$0, -$0] }
    }

    /// Per sample of consecutive pairs: h for the first, −h for the second, h = +1
    /// when the first has the larger reward, −1 when the second has, 0 when equal
    /// (`D3POObjective.preferences`).
    static func pairPreferences(_ rewards: [Double]) -> [Double] {
        let (first, second) = splitPairs(rewards)
        return D3POObjective.preferences(first: first, second: second).flatMap { [$0, -$0] }
    }

    /// The rewards of consecutive pairs' first samples (2k) and second samples (2k + 1).
    private static func splitPairs(_ rewards: [Double]) -> (first: [Double], second: [Double]) {
        precondition(rewards.count % 2 == 0, "TrainingTask: \(rewards.count) rewards do not form pairs")
        return (
            stride(from: 0, to: rewards.count, by: 2).map { rewards[$0] },
            stride(from: 1, to: rewards.count, by: 2).map { rewards[$0] }
        )
    }
}

/// What every rank scored in one epoch of a task, kept samples only, in the epoch's
/// order: what the logs and the report show (one process: its own samples).
struct WholeEpoch {
    var prompts: [String]
    var rewards: [Double]
    var advantages: [Double]
    var droppedSamples: Int
    var batchValues: [Double]
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
    /// This process's prompts and rewards, every sample in order (NaN where dropped):
    /// what a data-parallel run gathers.
    var scoredPrompts: [String] = []
    var scoredRewards: [Double] = []
    /// The whole epoch, filled in by `estimateAdvantages`.
    var wholeEpoch = WholeEpoch(prompts: [], rewards: [], advantages: [], droppedSamples: 0, batchValues: [])

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
