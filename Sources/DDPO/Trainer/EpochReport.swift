import ImageCodecs

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
    /// The first few decoded samples, for image logs.
    public var images: [RGBImage]
    /// The mean over sampling batches of a distribution-level reward's batch value
    /// V(B) (`RewardBatch.batchValue`, e.g. the batch's diversity); nil for per-image rewards.
    public var rewardBatchValue: Double? = nil

    public var rewardMean: Double { rewards.isEmpty ? .nan : rewards.reduce(0, +) / Double(rewards.count) }
    public var rewardStd: Double {
        guard !rewards.isEmpty else { return .nan }
        let mean = rewardMean
        return (rewards.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rewards.count)).squareRoot()
    }

    /// The scalars written to TensorBoard and metrics.jsonl; `kl_penalty` and
    /// `pretrain_loss` (before weighting) only when those terms are on; `reward_batch_value`
    /// only for a distribution-level reward.
    public var scalars: [String: Double] {
        var scalars = [
            "reward_mean": rewardMean, "reward_std": rewardStd, "loss": update.loss, "approx_kl": update.approxKL,
            "clipfrac": update.clipFraction, "grad_norm": update.gradientNorm,
            "optimizer_steps": Double(update.optimizerSteps), "dropped_samples": Double(droppedSamples),
            "time_sampling_s": samplingSeconds, "time_reward_wait_s": rewardWaitSeconds,
            "time_training_s": trainingSeconds,
        ]
        if let klPenalty = update.klPenalty { scalars["kl_penalty"] = klPenalty }
        if let pretrainLoss = update.pretrainLoss { scalars["pretrain_loss"] = pretrainLoss }
        if let rewardBatchValue { scalars["reward_batch_value"] = rewardBatchValue }
        return scalars
    }
}
