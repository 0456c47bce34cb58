/// Batch-wise advantage normalisation (Zhang et al. 2024, "Large-scale
/// Reinforcement Learning for Diffusion Models"): with millions of prompts each
/// prompt is seen about once, so per-prompt statistics do not exist and every
/// reward is normalised by the whole batch:
///
///     A = (r - mean_batch) / (std_batch + 1e-8)
///
/// std_batch is the population std (ddof 0), as numpy's `np.std` in ddpo-pytorch's
/// non-tracking branch.
public enum BatchAdvantages {
    public static let stdEpsilon = 1e-8

    /// One advantage per reward, in order. The prompts are only used to name a
    /// non-finite reward in the error; an empty batch gives no advantages.
    public static func compute(rewards: [Double], prompts: [String]) throws -> [Double] {
        try validateRewards(rewards, prompts: prompts)
        guard !rewards.isEmpty else { return [] }
        let statistics = RewardStatistics(of: rewards)
        return rewards.map { ($0 - statistics.mean) / (statistics.std + stdEpsilon) }
    }
}
