import Torch

/// DDPO-IS: the PPO-style clipped importance-sampling objective for one denoising
/// step of a batch (docs/algorithm.md §3, ddpo-pytorch's train.py):
///
///     ratio = exp(logp_new - logp_old)
///     loss  = mean( max(-A * ratio, -A * clip(ratio, 1 - ε, 1 + ε)) )
///
/// ε = clipRange = 1e-4 by default, a range set for log-probabilities MEANED over
/// the latent's dimensions. Where the clipped branch is the larger one, the loss
/// is flat in logp_new, so that sample contributes no gradient: the update cannot
/// move the policy further than ε from the one that drew the samples.
public struct PPOObjective: Sendable {
    public static let defaultClipRange = 1e-4

    /// ε: how far the ratio may move from 1 before its gradient is cut.
    public let clipRange: Double

    public init(clipRange: Double = defaultClipRange) {
        precondition(clipRange > 0, "PPOObjective: clipRange must be positive, got \(clipRange)")
        self.clipRange = clipRange
    }

    public struct Output {
        /// The scalar loss, differentiable with respect to the new log-probs.
        public let loss: Tensor
        /// 0.5 * mean((logp_new - logp_old)²), a cheap estimate of KL(old ‖ new).
        public let approxKL: Double
        /// Fraction of samples with |ratio - 1| > ε.
        public let clipFraction: Double
    }

    /// - Parameters:
    ///   - newLogProbs: [B], log p_θ of the stored x_{t-1} under the current policy.
    ///   - oldLogProbs: [B], the log-probs recorded at sampling time (constants).
    ///   - advantages: [B], already clipped (`AdvantageEstimator`); converted to the
    ///     log-probs' dtype and device, and treated as constants.
    public func evaluate(newLogProbs: Tensor, oldLogProbs: Tensor, advantages: Tensor) -> Output {
        precondition(
            newLogProbs.rank == 1 && oldLogProbs.shape == newLogProbs.shape
                && advantages.shape == newLogProbs.shape,
            "PPOObjective: expected [B] log-probs and advantages, got new \(newLogProbs.shape), "
                + "old \(oldLogProbs.shape), advantages \(advantages.shape)")
        let oldLogProbs = oldLogProbs.detached()
        let advantages = advantages.detached().to(dtype: newLogProbs.dtype, device: newLogProbs.device)

        let logRatio = newLogProbs - oldLogProbs
        let ratio = logRatio.exp()
        let unclippedLoss = -advantages * ratio
        let clippedLoss = -advantages * ratio.clamped(min: 1 - clipRange, max: 1 + clipRange)
        let loss = unclippedLoss.maximum(clippedLoss).mean()

        // Diagnostics only: no graph, and item() waits for the device.
        let (approxKL, clipFraction) = withNoGrad {
            let approxKL = 0.5 * logRatio.square().mean().item()
            let clipFraction = ((ratio - 1).abs() .> clipRange).to(dtype: .float64).mean().item()
            return (approxKL, clipFraction)
        }
        return Output(loss: loss, approxKL: approxKL, clipFraction: clipFraction)
    }
}
