/// The policy-improvement objective of a run (ALGORITHM.md §2).
public enum PolicyObjective: Equatable, Sendable {
    /// DDPO-IS: PPO-style clipped importance sampling; several inner epochs allowed.
    case ddpoIS(clipRange: Double)
    /// DDPO-SF: the score-function (REINFORCE) gradient; one step per batch of fresh samples.
    case ddpoSF
    /// Reward-weighted regression: the denoising loss weighted by softmax(beta * r).
    case rwr(beta: Double)
    /// Sparse RWR: the unweighted denoising loss on samples at or above a reward percentile.
    case rwrSparse(percentile: Double)

    /// Whether the objective re-scores the recorded trajectory (DDPO) or regresses on x_0 (RWR).
    var usesTrajectory: Bool {
        switch self {
        case .ddpoIS, .ddpoSF: return true
        case .rwr, .rwrSparse: return false
        }
    }
}
