import Foundation
import Torch

/// RWR, the reward-weighted regression baseline of the DDPO paper: the ordinary
/// denoising loss on the model's own samples, each sample weighted by
///
///     w_i = B * softmax(β r)_i     (softmax over the batch; mean weight 1)
///
/// so better samples are imitated more. β = 0.2 as in the paper's code. The
/// weights are computed once over the whole sampling batch, then the loss is taken
/// per training minibatch with those samples' weights.
public struct RewardWeightedRegression: Sendable {
    public static let defaultBeta = 0.2

    /// Inverse temperature: 0 weighs all samples equally, larger β favours the best.
    public let beta: Double

    public init(beta: Double = defaultBeta) {
        precondition(beta >= 0 && beta.isFinite, "RewardWeightedRegression: beta must be finite and >= 0, got \(beta)")
        self.beta = beta
    }

    /// One weight per reward, normalised to mean 1. Rewards must be finite
    /// (`validateRewards`); an empty batch gives no weights.
    public func weights(rewards: [Double]) -> [Double] {
        precondition(rewards.allSatisfy(\.isFinite), "RewardWeightedRegression: rewards must be finite")
        guard let largest = rewards.max() else { return [] }
        // Subtracting the largest logit leaves softmax unchanged and keeps exp() from
        // overflowing for large rewards (the exponents are all <= 0).
        let exponentials = rewards.map { Foundation.exp(beta * $0 - beta * largest) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { Double(rewards.count) * $0 / total }
    }

    /// mean_i( w_i * mean over non-batch dims of (ε_pred - ε_target)² ).
    ///
    /// - Parameters:
    ///   - predictedNoise: [B, ...], the model's output (differentiable).
    ///   - targetNoise: [B, ...], the noise that was added (a constant).
    ///   - sampleWeights: B weights from `weights(rewards:)`, for these samples.
    public func loss(predictedNoise: Tensor, targetNoise: Tensor, sampleWeights: [Double]) -> Tensor {
        let errors = denoisingErrorPerSample(predictedNoise: predictedNoise, targetNoise: targetNoise)
        precondition(
            sampleWeights.count == errors.size(0),
            "RewardWeightedRegression: \(sampleWeights.count) weights for \(errors.size(0)) samples")
        let weights = Tensor(sampleWeights).to(dtype: errors.dtype, device: errors.device)
        return (weights * errors).mean()
    }
}

/// The squared error of each sample averaged over its non-batch dimensions: [B].
/// Averaged, not summed, so the loss scale does not depend on the latent size.
func denoisingErrorPerSample(predictedNoise: Tensor, targetNoise: Tensor) -> Tensor {
    precondition(
        predictedNoise.rank >= 1 && predictedNoise.shape == targetNoise.shape,
        "denoising loss: prediction \(predictedNoise.shape) and target \(targetNoise.shape) differ")
    let squaredError = (predictedNoise - targetNoise.detached()).square()
    guard squaredError.rank > 1 else { return squaredError }
    return squaredError.mean(dims: Array(1..<squaredError.rank))
}
