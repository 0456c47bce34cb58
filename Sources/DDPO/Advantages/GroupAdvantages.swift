/// Group-relative advantages (GRPO style): the batch holds K samples of each
/// prompt, and each reward is normalised by the mean and std of its own group:
///
///     A = (r - mean_group) / (std_group + 1e-6)
///
/// A group is all samples of the batch with the same prompt string (a prompt drawn
/// twice in one batch simply makes a larger group). std_group is the population std
/// (ddof 0). The epsilon is 1e-6, the per-prompt tracker's, so that "group" equals
/// "per_prompt" with bufferSize = minCount = K on batches of exactly K samples per
/// prompt; it only matters for tiny, non-zero spreads, because:
///
/// A group whose rewards are all equal (spread max - min = 0, which includes a
/// group of one sample) carries no signal: its samples get advantage exactly 0, are
/// marked in `carriesSignal`, and the group is counted in `skippedGroupCount` so the
/// trainer can log how much of the batch was wasted. Spread is tested as max == min
/// rather than std == 0 because the computed std of equal values need not be 0
/// exactly (the sum of n equal values rounds).
public enum GroupAdvantages {
    public static let stdEpsilon = 1e-6

    public struct Result: Equatable, Sendable {
        /// One advantage per sample, in batch order.
        public var advantages: [Double]
        /// Per sample: false when its group had zero reward spread (advantage 0).
        public var carriesSignal: [Bool]
        /// Number of distinct prompts in the batch.
        public var groupCount: Int
        /// Number of groups with zero reward spread.
        public var skippedGroupCount: Int
    }

    public static func compute(rewards: [Double], prompts: [String]) throws -> Result {
        try validateRewards(rewards, prompts: prompts)
        var advantages = [Double](repeating: 0, count: rewards.count)
        var carriesSignal = [Bool](repeating: false, count: rewards.count)
        let groups = groupByPrompt(prompts)
        var skippedGroupCount = 0
        for group in groups {
            let groupRewards = group.indices.map { rewards[$0] }
            if groupRewards.min()! == groupRewards.max()! {
                skippedGroupCount += 1
                continue
            }
            let statistics = RewardStatistics(of: groupRewards)
            for index in group.indices {
                advantages[index] = (rewards[index] - statistics.mean) / (statistics.std + stdEpsilon)
                carriesSignal[index] = true
            }
        }
        return Result(
            advantages: advantages, carriesSignal: carriesSignal,
            groupCount: groups.count, skippedGroupCount: skippedGroupCount)
    }
}
