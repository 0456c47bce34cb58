import Foundation
import Torch

/// D3PO, direct preference optimisation of a diffusion model without a reward
/// model (Yang et al. 2024), for one denoising step of a batch of pairs: two
/// trajectories of one prompt, one preferred (by a person, or by comparing a
/// reward). DPO's loss on whole trajectories is applied to each step of the
/// denoising MDP: with the per-step log-ratio to a frozen reference policy
/// l = log p_θ(x_{t−1} | x_t) − log p_ref(x_{t−1} | x_t), clipped to
/// [log(1 − ε), log(1 + ε)] (the ratio p_θ/p_ref clipped to 1 ± ε, so a pair
/// whose ratio has left the band gives no gradient, as in the authors' code), and
/// h = +1 when the first image is preferred, −1 when the second is, 0 when neither:
///
///     loss = mean( −log σ( β · h · (l¹ − l²) ) )
///
/// that is, the authors' −log σ(β Σ_i h_i log ρ_i) with h¹ = h, h² = −h. At the
/// start (θ = ref) the gradient is −(β/2) h ∇(log p¹ − log p²): P3O's direction
/// with a fixed step instead of a reward difference. Swapping the two samples and
/// negating h gives the same loss; h = 0 gives the constant log 2 (no gradient).
public struct D3POObjective: Sendable {
    /// The authors' defaults (train.beta and train.eps of their configuration).
    public static let defaultBeta = 0.1
    public static let defaultClipRange = 0.1

    public let beta: Double
    public let clipRange: Double

    public init(beta: Double = Self.defaultBeta, clipRange: Double = Self.defaultClipRange) {
        precondition(beta > 0, "D3POObjective: beta must be positive, got \(beta)")
        precondition(clipRange > 0 && clipRange < 1, "D3POObjective: clipRange must be in (0, 1), got \(clipRange)")
        self.beta = beta
        self.clipRange = clipRange
    }

    public struct Output {
        /// The scalar loss, differentiable with respect to the policy's log-probs.
        public let loss: Tensor
        /// The share of the 2P log-ratios to the reference outside the clip band.
        public let clipFraction: Double
        /// The share of pairs with a preference (h ≠ 0) whose policy already prefers
        /// the preferred sample more than the reference does (h (l¹ − l²) > 0).
        public let preferenceAccuracy: Double
    }

    /// The preference h of each pair from its two rewards: +1 when the first is
    /// larger, −1 when the second is, 0 when they are equal.
    public static func preferences(first: [Double], second: [Double]) -> [Double] {
        precondition(first.count == second.count, "D3POObjective: \(first.count) and \(second.count) rewards")
        return zip(first, second).map { $0 > $1 ? 1 : ($0 < $1 ? -1 : 0) }
    }

    /// - Parameters:
    ///   - logProbs: [P, 2]: log p_θ of each pair's stored x_{t−1}, first then second.
    ///   - referenceLogProbs: [P, 2]: the frozen reference's, at the same states (constants).
    ///   - preferences: [P], h in {+1, 0, −1} (`preferences(first:second:)`).
    public func evaluate(logProbs: Tensor, referenceLogProbs: Tensor, preferences: Tensor) -> Output {
        precondition(
            logProbs.rank == 2 && logProbs.size(1) == 2 && referenceLogProbs.shape == logProbs.shape
                && preferences.shape == [logProbs.size(0)],
            "D3POObjective: expected [P, 2] log-probs and [P] preferences, got \(logProbs.shape), "
                + "reference \(referenceLogProbs.shape), preferences \(preferences.shape)")
        let preferences = preferences.detached().to(dtype: logProbs.dtype, device: logProbs.device)
        let logRatio = logProbs - referenceLogProbs.detached()  // [P, 2]
        let clipped = logRatio.clamped(min: Foundation.log(1 - clipRange), max: Foundation.log(1 + clipRange))
        let margin = preferences * (clipped.select(dim: 1, index: 0) - clipped.select(dim: 1, index: 1))
        // −log σ(z) = softplus(x), x = −z, written as m + log(1 + exp(x − 2m)) with
        // m = max(x, 0): no overflow for large |z|, and (unlike relu(x) + log1p(exp(−|x|)),
        // whose kinks both get gradient 0 at x = 0) the exact gradient σ(x) at x = 0 too,
        // which is where every pair starts.
        let x = -beta * margin
        let m = x.clamped(min: 0)
        let loss = (m + (x - 2 * m).exp().log1p()).mean()
        let (clipFraction, accuracy) = withNoGrad { () -> (Double, Double) in
            let outside = (logRatio - clipped).abs() .> 0
            let fraction = outside.to(dtype: .float64).mean().item()
            let judged = preferences.abs() .> 0
            let count = judged.to(dtype: .float64).sum().item()
            let right = (margin .> 0).to(dtype: .float64) * judged.to(dtype: .float64)
            return (fraction, count > 0 ? right.sum().item() / count : 0)
        }
        return Output(loss: loss, clipFraction: clipFraction, preferenceAccuracy: accuracy)
    }
}
