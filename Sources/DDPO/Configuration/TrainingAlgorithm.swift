/// The policy-optimisation method (docs/algorithm.md §3–4); the raw values are the
/// configuration names (`train.algorithm`).
public enum TrainingAlgorithm: String, CaseIterable, Codable, Sendable {
    /// DDPO-IS: PPO-style clipped importance sampling (`PPOObjective`), the
    /// paper's best; several inner epochs over one batch of samples are allowed.
    case ddpoIS = "ddpo_is"
    /// DDPO-SF: the score-function (REINFORCE) estimator
    /// (`ScoreFunctionObjective`); one gradient step per batch of fresh samples.
    case ddpoSF = "ddpo_sf"
    /// Reward-weighted regression (`RewardWeightedRegression`, β = `train.rwr_beta`).
    case rwr = "rwr"
    /// Sparse RWR: plain denoising loss on the samples at or above the
    /// `train.rwr_percentile` reward percentile (`SparseRewardWeightedRegression`).
    case rwrSparse = "rwr_sparse"

    /// True for the policy-gradient methods, which take advantages.
    public var usesAdvantages: Bool { self == .ddpoIS || self == .ddpoSF }

    /// Whether the objective re-scores the recorded trajectory (DDPO) or regresses
    /// on the final samples x_0 (RWR).
    var usesTrajectory: Bool { usesAdvantages }
}

extension TrainingAlgorithm: ConfigurationChoice {}
