import Torch

/// Sparse RWR (DDPO paper): the plain, unweighted denoising loss on only the
/// samples whose reward is at or above a percentile of the batch's rewards (the
/// 90th by default), i.e. "imitate your best 10%".
///
/// The percentile is numpy's `np.percentile(rewards, p)` with its default
/// "linear" method (Hyndman & Fan type 7): sort the n rewards into v[0...n-1],
/// take h = (n - 1) * p / 100, and interpolate between v[floor(h)] and
/// v[floor(h) + 1] by the fraction h - floor(h). The maximum reward always passes,
/// so the mask is never empty; ties at the threshold all pass.
public struct SparseRewardWeightedRegression: Sendable {
    public static let defaultPercentile = 90.0

    /// In 0...100: 90 keeps the samples at or above the batch's 90th percentile.
    public let percentile: Double

    public init(percentile: Double = defaultPercentile) {
        precondition(
            (0...100).contains(percentile),
            "SparseRewardWeightedRegression: percentile must be in 0...100, got \(percentile)")
        self.percentile = percentile
    }

    /// Per sample: whether its reward is at or above the percentile of `rewards`.
    /// Rewards must be finite (`validateRewards`).
    public func mask(rewards: [Double]) -> [Bool] {
        guard !rewards.isEmpty else { return [] }
        let threshold = Self.percentile(of: rewards, percentile)
        return rewards.map { $0 >= threshold }
    }

    /// numpy's `np.percentile(values, p)` (method "linear"), computed the way numpy
    /// computes it, so thresholds agree to the last bit: numpy interpolates from
    /// the nearer neighbour (`b - (b - a)(1 - γ)` when γ >= 0.5), which matters
    /// when a reward sits exactly on the threshold.
    public static func percentile(of values: [Double], _ p: Double) -> Double {
        precondition(!values.isEmpty, "percentile of no values")
        precondition((0...100).contains(p), "percentile must be in 0...100, got \(p)")
        precondition(values.allSatisfy(\.isFinite), "percentile: values must be finite")
        let sorted = values.sorted()
        let lastIndex = sorted.count - 1
        let virtualIndex = Double(lastIndex) * (p / 100)
        if virtualIndex >= Double(lastIndex) { return sorted[lastIndex] }
        let lower = Int(virtualIndex.rounded(.down))
        let gamma = virtualIndex - Double(lower)
        let a = sorted[lower]
        let b = sorted[lower + 1]
        let difference = b - a
        return gamma >= 0.5 ? b - difference * (1 - gamma) : a + difference * gamma
    }

    /// The mean denoising error (averaged over non-batch dims) of the kept samples
    /// of this minibatch; 0 (still attached to the graph, so zero gradient) when the
    /// minibatch keeps none. Cheaper still: train only on the kept samples and skip
    /// the UNet on the rest; the loss is the same.
    public func loss(predictedNoise: Tensor, targetNoise: Tensor, mask: [Bool]) -> Tensor {
        let errors = denoisingErrorPerSample(predictedNoise: predictedNoise, targetNoise: targetNoise)
        precondition(
            mask.count == errors.size(0),
            "SparseRewardWeightedRegression: \(mask.count) mask entries for \(errors.size(0)) samples")
        let keptCount = mask.filter { $0 }.count
        let keep = Tensor(mask.map { $0 ? 1.0 : 0.0 }).to(dtype: errors.dtype, device: errors.device)
        return (keep * errors).sum() / Double(Swift.max(keptCount, 1))
    }
}
