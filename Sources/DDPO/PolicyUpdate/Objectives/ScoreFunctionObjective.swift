import Torch

/// DDPO-SF: the score-function (REINFORCE) objective for one denoising step:
///
///     loss = -mean(A * logp)
///
/// Its gradient, -mean(A * ∇logp), is the REINFORCE estimator of the gradient of
/// the expected reward for that step. The full estimator sums over the steps of the
/// trajectory: the trainer calls `backward()` on each step's loss and lets the
/// gradients accumulate before the one optimizer step per batch of fresh samples.
/// The samples must come from the current policy (no importance weights here).
public struct ScoreFunctionObjective: Sendable {
    public init() {}

    /// - Parameters:
    ///   - logProbs: [B], log p_θ of the stored x_{t-1} under the current policy.
    ///   - advantages: [B], already clipped; converted to the log-probs' dtype and
    ///     device, and treated as constants.
    public func loss(logProbs: Tensor, advantages: Tensor) -> Tensor {
        precondition(
            logProbs.rank == 1 && advantages.shape == logProbs.shape,
            "ScoreFunctionObjective: expected [B] log-probs and advantages, got "
                + "\(logProbs.shape) and \(advantages.shape)")
        let advantages = advantages.detached().to(dtype: logProbs.dtype, device: logProbs.device)
        return -(advantages * logProbs).mean()
    }
}
