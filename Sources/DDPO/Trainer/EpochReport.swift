import ImageCodecs
import RunLogging

/// What one epoch did, for logs, metrics and reports.
public struct EpochReport: Sendable {
    public var epoch: Int
    public var globalStep: Int
    public var prompts: [String]
    public var rewards: [Double]
    public var advantages: [Double]
    public var droppedSamples: Int
    public var update: PolicyUpdateStatistics
    public var samplingSeconds: Double
    public var rewardWaitSeconds: Double
    public var trainingSeconds: Double
    /// Data parallel only (nil for one process): this rank's seconds in collectives
    /// during the epoch, waiting for the others included, and the gradient
    /// all-reduces' part of them.
    public var collectiveSeconds: Double? = nil
    public var gradientAllReduceSeconds: Double? = nil
    /// The first few decoded samples, for image logs.
    public var images: [RGBImage]
    /// The prompt and reward of each of `images`, in order (NaN where a reward was
    /// dropped); nil when the trainer did not record them (see `imageCaptions`).
    public var imagePrompts: [String]? = nil
    public var imageRewards: [Double]? = nil
    /// The mean over sampling batches of a distribution-level reward's batch value
    /// V(B) (`RewardBatch.batchValue`, e.g. the batch's diversity); nil for per-image rewards.
    public var rewardBatchValue: Double? = nil
    /// Each task's part of a multi-task run (`tasks:`), in the order listed; empty
    /// for a single-task run, whose metrics stay unsuffixed.
    public var tasks: [TaskEpochReport] = []

    /// The prompt and reward under each of `images`. Without `imagePrompts` and
    /// `imageRewards` they are taken from `prompts` and `rewards`, which list the same
    /// samples in the same order only when nothing was dropped and there is one task
    /// (the images are this process's first samples, rank 0's coming first); nil otherwise.
    public var imageCaptions: [SampleCaption]? {
        if let imagePrompts, let imageRewards, imagePrompts.count == images.count, imageRewards.count == images.count {
            return zip(imagePrompts, imageRewards).map { SampleCaption(prompt: $0, reward: $1) }
        }
        guard droppedSamples == 0, tasks.count <= 1, prompts.count >= images.count, rewards.count >= images.count
        else { return nil }
        return images.indices.map { SampleCaption(prompt: prompts[$0], reward: rewards[$0]) }
    }

    /// Over all tasks' samples.
    public var rewardMean: Double { Self.mean(rewards) }
    public var rewardStd: Double { Self.standardDeviation(rewards) }

    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }

    /// Population standard deviation (divides by n).
    static func standardDeviation(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let mean = mean(values)
        return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
    }

    /// The scalars written to TensorBoard and metrics.jsonl; `kl_penalty` and
    /// `pretrain_loss` (before weighting) only when those terms are on; `reward_batch_value`
    /// only for a distribution-level reward; in a multi-task run, each task's
    /// `TaskEpochReport.scalars` too.
    public var scalars: [String: Double] {
        var scalars = [
            "reward_mean": rewardMean, "reward_std": rewardStd, "loss": update.loss, "approx_kl": update.approxKL,
            "clipfrac": update.clipFraction, "grad_norm": update.gradientNorm,
            "optimizer_steps": Double(update.optimizerSteps), "dropped_samples": Double(droppedSamples),
            "time_sampling_s": samplingSeconds, "time_reward_wait_s": rewardWaitSeconds,
            "time_training_s": trainingSeconds
        ]
        if let collectiveSeconds { scalars["time_collectives_s"] = collectiveSeconds }
        if let gradientAllReduceSeconds { scalars["time_gradient_allreduce_s"] = gradientAllReduceSeconds }
        if let klPenalty = update.klPenalty { scalars["kl_penalty"] = klPenalty }
        if let pretrainLoss = update.pretrainLoss { scalars["pretrain_loss"] = pretrainLoss }
        if let rewardBatchValue { scalars["reward_batch_value"] = rewardBatchValue }
        for task in tasks { scalars.merge(task.scalars) { _, new in new } }
        return scalars
    }
}

/// One task's part of a multi-task epoch.
public struct TaskEpochReport: Sendable {
    public var name: String
    public var weight: Double
    public var rewards: [Double]
    /// As estimated (clipped), before the task weight multiplies them.
    public var advantages: [Double]
    public var droppedSamples: Int
    /// The task's own policy update under "sequential"; nil under "weighted_sum".
    public var update: PolicyUpdateStatistics?

    public var rewardMean: Double { EpochReport.mean(rewards) }

    /// `reward_mean/<name>`, `reward_std/<name>`, `advantage_mean/<name>`,
    /// `advantage_std/<name>`, `dropped_samples/<name>`; with its own update also
    /// `loss/<name>`, `approx_kl/<name>`, `clipfrac/<name>`, `grad_norm/<name>`,
    /// `optimizer_steps/<name>`.
    public var scalars: [String: Double] {
        var scalars = [
            "reward_mean": rewardMean, "reward_std": EpochReport.standardDeviation(rewards),
            "advantage_mean": EpochReport.mean(advantages),
            "advantage_std": EpochReport.standardDeviation(advantages), "dropped_samples": Double(droppedSamples)
        ]
        if let update {
            scalars["loss"] = update.loss
            scalars["approx_kl"] = update.approxKL
            scalars["clipfrac"] = update.clipFraction
            scalars["grad_norm"] = update.gradientNorm
            scalars["optimizer_steps"] = Double(update.optimizerSteps)
        }
        return Dictionary(uniqueKeysWithValues: scalars.map { ("\($0.key)/\(name)", $0.value) })
    }
}
