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
    /// D3PO: DPO on each denoising step of pairs of one prompt (`D3POObjective`),
    /// against the frozen pretrained model, from which of the two is preferred.
    case d3po = "d3po"

    /// True for the methods that train on per-sample advantages (for D3PO: ±h, the
    /// pair's preference), which the task weights scale.
    public var usesAdvantages: Bool { self == .ddpoIS || self == .ddpoSF || self == .p3o || self == .d3po }

    /// Whether samples come and train in pairs of one prompt (samples 2k and 2k + 1).
    public var trainsOnPairs: Bool { self == .p3o || self == .d3po }

    /// Whether the objective needs the frozen reference policy's log-probabilities.
    public var needsReference: Bool { self == .d3po }

    /// Whether the objective re-scores the recorded trajectory (DDPO) or regresses
    /// on the final samples x_0 (RWR).
    var usesTrajectory: Bool { usesAdvantages }
}

extension TrainingAlgorithm: ConfigurationChoice {}
