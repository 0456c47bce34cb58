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
    /// P3O: pairwise proximal policy optimisation (`P3OObjective`): two samples of
    /// each prompt, trained on the difference of their rewards.
    case p3o = "p3o"

    /// True for the policy-gradient methods, which take advantages.
    public var usesAdvantages: Bool { self == .ddpoIS || self == .ddpoSF || self == .p3o }

    /// Whether samples come and train in pairs of one prompt (samples 2k and 2k + 1).
    public var trainsOnPairs: Bool { self == .p3o }

    /// Whether the objective re-scores the recorded trajectory (DDPO) or regresses
    /// on the final samples x_0 (RWR).
    var usesTrajectory: Bool { usesAdvantages }
}

extension TrainingAlgorithm: ConfigurationChoice {}
