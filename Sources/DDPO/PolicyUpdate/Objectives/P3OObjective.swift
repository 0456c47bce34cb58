import Foundation
import Torch

/// P3O, pairwise proximal policy optimisation (Wu et al. 2023), for one denoising
/// step of a batch of pairs: two trajectories of one prompt, τ¹ and τ², with
/// rewards r¹ and r². Its policy gradient is ½ (r¹ − r²) ∇(log π(τ¹) − log π(τ²)):
/// only the difference of the two rewards matters, as for the comparisons a
/// reward model is trained on, so no baseline or value is needed. With
/// importance ratios ρ = exp(log p_θ − log p_old) of the samples' policy and the
/// pair's advantage A (`pairAdvantages`):
///
///     separate:  loss = mean( max(−A ρ¹, −A clip(ρ¹, 1 ± ε)) + max(A ρ², A clip(ρ², 1 ± ε)) )
///     joint:     loss = mean( max(−|A| ρ, −|A| clip(ρ, 1 ± ε)) ),   ρ = ρ_better / ρ_worse
///
/// "separate" is DDPO-IS's clipping applied to each trajectory with advantages
/// +A and −A; "joint" clips the ratio of the two ratios, which stays 1 when both
/// trajectories' probabilities move together, taken as the preferred
/// trajectory's over the other's so that naming the pair the other way round
/// changes nothing. At ρ = 1 both have the gradient −A ∇(log p¹ − log p²).
public struct P3OObjective: Sendable {
    public enum Clipping: String, Codable, CaseIterable, Sendable {
        case separate
        case joint
    }

    public let clipRange: Double
    public let clipping: Clipping

    public init(clipRange: Double = PPOObjective.defaultClipRange, clipping: Clipping = .separate) {
        precondition(clipRange > 0, "P3OObjective: clipRange must be positive, got \(clipRange)")
        self.clipRange = clipRange
        self.clipping = clipping
    }

    public struct Output {
        /// The scalar loss, differentiable with respect to both new log-probs.
        public let loss: Tensor
        /// 0.5 · mean((log p_new − log p_old)²) over both trajectories of every pair.
        public let approxKL: Double
        /// The share of clipped ratios: of the 2P trajectories (separate) or of the
        /// P pairs' ratio of ratios (joint).
        public let clipFraction: Double
    }

    /// The pairs' advantages A = ½ (r¹ − r²) / σ, σ the standard deviation of the
    /// batch's differences r¹ − r² (so the step size does not depend on the
    /// reward's units), clipped to ±`clip`. Equal rewards give 0; with every
    /// difference equal to zero, all are 0.
    public static func pairAdvantages(first: [Double], second: [Double], clip: Double) -> [Double] {
        precondition(first.count == second.count, "P3OObjective: \(first.count) and \(second.count) rewards")
        let differences = zip(first, second).map { $0 - $1 }
        guard !differences.isEmpty else { return [] }
        let mean = differences.reduce(0, +) / Double(differences.count)
        let variance = differences.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(differences.count)
        let deviation = variance.squareRoot()
        // One pair, or all differences alike: their own size is the scale.
        let scale = deviation > 1e-12 ? deviation : max(differences.map(abs).max() ?? 0, 1e-12)
        return differences.map { Swift.min(Swift.max(0.5 * $0 / scale, -clip), clip) }
    }

    /// - Parameters:
    ///   - newLogProbs: [P, 2]: log p_θ of each pair's stored x_{t-1}, τ¹ then τ².
    ///   - oldLogProbs: [P, 2]: the log-probs recorded at sampling time (constants).
    ///   - advantages: [P], from `pairAdvantages`; constants.
    public func evaluate(newLogProbs: Tensor, oldLogProbs: Tensor, advantages: Tensor) -> Output {
        precondition(
            newLogProbs.rank == 2 && newLogProbs.size(1) == 2 && oldLogProbs.shape == newLogProbs.shape
                && advantages.shape == [newLogProbs.size(0)],
            "P3OObjective: expected [P, 2] log-probs and [P] advantages, got new \(newLogProbs.shape), "
                + "old \(oldLogProbs.shape), advantages \(advantages.shape)")
        let advantages = advantages.detached().to(dtype: newLogProbs.dtype, device: newLogProbs.device)
        let logRatio = newLogProbs - oldLogProbs.detached()  // [P, 2]
        let first = logRatio.select(dim: 1, index: 0)
        let second = logRatio.select(dim: 1, index: 1)
        let loss: Tensor
        let clipped: Tensor
        switch clipping {
        case .separate:
            loss =
                (clippedTerm(ratio: first.exp(), advantages: advantages)
                + clippedTerm(ratio: second.exp(), advantages: -advantages)).mean()
            clipped = logRatio.exp()
        case .joint:
            let sign = advantages.sign()
            let ratio = (sign * (first - second)).exp()
            loss = clippedTerm(ratio: ratio, advantages: advantages.abs()).mean()
            clipped = ratio
        }
        let (approxKL, clipFraction) = withNoGrad {
            (
                0.5 * logRatio.square().mean().item(),
                ((clipped - 1).abs() .> clipRange).to(dtype: .float64).mean().item()
            )
        }
        return Output(loss: loss, approxKL: approxKL, clipFraction: clipFraction)
    }

    /// max(−A ρ, −A clip(ρ, 1 ± ε)) per element: PPO's pessimistic bound.
    private func clippedTerm(ratio: Tensor, advantages: Tensor) -> Tensor {
        (-advantages * ratio).maximum(-advantages * ratio.clamped(min: 1 - clipRange, max: 1 + clipRange))
    }
}
