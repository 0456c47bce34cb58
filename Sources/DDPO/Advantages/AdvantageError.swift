/// Why advantages could not be computed. These are data errors (a reward model
/// returned NaN, a configuration named an unknown strategy): they throw, so the
/// trainer can decide whether to drop the sample or stop. Programmer errors
/// (prompts and rewards of different lengths) trap instead, as in the Torch module.
public enum AdvantageError: Error, CustomStringConvertible {
    /// A reward that is NaN or infinite; `index` is the sample's position in the batch.
    case nonFiniteReward(index: Int, prompt: String, reward: Double)
    /// A strategy name that is not one of `AdvantageStrategy.allCases`.
    case unknownStrategy(String)
    /// Saved stat-tracker state that cannot be restored.
    case invalidTrackerState(String)

    public var description: String {
        switch self {
        case .nonFiniteReward(let index, let prompt, let reward):
            return "reward \(reward) of sample \(index) (prompt \"\(prompt)\") is not finite"
        case .unknownStrategy(let name):
            let known = AdvantageStrategy.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            return "unknown advantage strategy \"\(name)\"; expected one of \(known)"
        case .invalidTrackerState(let reason):
            return "invalid per-prompt stat tracker state: \(reason)"
        }
    }
}

/// Checks that every reward is finite and that there is one prompt per reward.
/// The estimators run it before any statistics are taken: a single NaN would
/// otherwise poison the batch mean, and in the per-prompt tracker it would stay in
/// the buffer for the next `bufferSize` batches. A trainer using RWR, which takes
/// no advantages, calls it itself.
public func validateRewards(_ rewards: [Double], prompts: [String]) throws {
    precondition(
        rewards.count == prompts.count,
        "DDPO advantages: \(rewards.count) rewards for \(prompts.count) prompts")
    for (index, reward) in rewards.enumerated() where !reward.isFinite {
        throw AdvantageError.nonFiniteReward(index: index, prompt: prompts[index], reward: reward)
    }
}
