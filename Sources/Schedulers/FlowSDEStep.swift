import Foundation
import Torch

/// One step of Flow-GRPO's stochastic sampler and its log-probability.
public struct FlowSDEStep {
    /// x at the next (lower) noise level: the drawn sample, or the given one when re-scoring.
    public var previousSample: Tensor
    /// log p(x_next | x), averaged over all non-batch dimensions, shape [B] (as DDIM's).
    public var logProbability: Tensor
    /// The Gaussian mean of p(x_next | x).
    public var mean: Tensor
    /// The Gaussian's standard deviation noiseScale · sqrt(sigma - sigma_next), [B, 1, ..., 1].
    public var standardDeviation: Tensor
    /// The SDE's diffusion coefficient a · sqrt(sigma / (1 - sigma)) (Flow-GRPO's std_dev_t), [B, 1, ..., 1].
    public var noiseScale: Tensor
}

/// Flow-GRPO's SDE sampler (Liu et al. 2025, "Flow-GRPO"): the reverse-time SDE that has
/// the same marginals as the flow-matching ODE dx/dsigma = v, discretised with one Euler–
/// Maruyama step, so that every step is a Gaussian policy whose log-probability PPO can
/// re-score (docs/flow-matching.md). With the step dt = sigma_next - sigma < 0 and the
/// noise scale s = a · sqrt(sigma / (1 - sigma)):
///
///     mean = x (1 + s² dt / (2 sigma)) + v (1 + s² (1 - sigma) / (2 sigma)) dt
///     std  = s · sqrt(-dt)
///
/// Everything is computed in float32 whatever the inputs' dtype (half-precision velocities
/// overflow in the mean). At noise level a = 0 the step is the Euler ODE step: x_next is the
/// mean, no noise is drawn, and the log-probability is NaN (a point mass has no density).
public enum FlowSDE {
    /// Flow-GRPO's default noise level a.
    public static let defaultNoiseLevel = 0.7

    /// The noise scale s = a · sqrt(sigma / (1 - sigma)) at each sigma. At sigma = 1 (pure
    /// noise, the first step of an unshifted or SD3 schedule) the formula is infinite;
    /// Flow-GRPO then divides by 1 - `sigmaBelowOne` instead, where `sigmaBelowOne` is the
    /// schedule's second noise level sigma_1, the largest below 1.
    public static func noiseScale(sigma: Tensor, noiseLevel: Double, sigmaBelowOne: Double) -> Tensor {
        let denominatorSigma = Tensor.where(sigma .== 1.0, sigma.fullLike(sigmaBelowOne), sigma)
        return (sigma / (1.0 - denominatorSigma)).sqrt() * noiseLevel
    }

    /// One step x -> x_next from noise level sigma to sigma_next < sigma, with its log-probability.
    /// - Parameters:
    ///   - velocity: the (guided) model output v at `sample`.
    ///   - sample: x at noise level `sigma`.
    ///   - sigma, sigmaNext: float [B] (or [B, 1, ..., 1]), each sample's current and next noise level.
    ///   - sigmaBelowOne: the schedule's sigma_1, used for the noise scale where sigma is 1.
    ///   - noiseLevel: a >= 0.
    ///   - previousSample: when given, x_next is not drawn; its log-probability is computed (no gradient flows through it).
    ///   - generator: the generator the noise is drawn from (the device default when nil).
    public static func step(
        velocity: Tensor, sample: Tensor, sigma: Tensor, sigmaNext: Tensor, sigmaBelowOne: Double,
        noiseLevel: Double = defaultNoiseLevel, previousSample: Tensor? = nil, generator: Generator? = nil
    ) -> FlowSDEStep {
        precondition(
            noiseLevel >= 0 && noiseLevel.isFinite,
            "FlowSDE.step: noiseLevel must be finite and >= 0, got \(noiseLevel)")
        let v = velocity.to(dtype: .float32)
        let x = sample.to(dtype: .float32)
        let shape = [-1] + Array(repeating: 1, count: Swift.max(x.rank - 1, 0))
        let sigma = sigma.to(dtype: .float32, device: x.device).reshaped(shape)
        let sigmaNext = sigmaNext.to(dtype: .float32, device: x.device).reshaped(shape)
        let dt = sigmaNext - sigma
        let noiseScale = Self.noiseScale(sigma: sigma, noiseLevel: noiseLevel, sigmaBelowOne: sigmaBelowOne)
        let variancePerTime = noiseScale.pow(2)
        let mean =
            x * (1.0 + variancePerTime / (2.0 * sigma) * dt)
            + v * (1.0 + variancePerTime * (1.0 - sigma) / (2.0 * sigma)) * dt
        let standardDeviation = noiseScale * (-dt).sqrt()

        let next: Tensor
        if let previousSample {
            next = previousSample.to(dtype: .float32)
        } else if noiseLevel == 0 {
            next = mean
        } else {
            // Drawn on the generator's device, then moved, as DDIMScheduler does.
            let noise = Tensor.randn(
                v.shape, dtype: .float32, device: generator?.device ?? v.device, generator: generator
            ).to(device: v.device)
            next = mean + standardDeviation * noise
        }
        let logProbability =
            noiseLevel == 0
            ? Tensor.full([x.size(0)], value: .nan, dtype: .float32, device: x.device)
            : DDIMScheduler.gaussianLogProbability(
                of: next.detached(), mean: mean, standardDeviation: standardDeviation)
        return FlowSDEStep(
            previousSample: next, logProbability: logProbability, mean: mean,
            standardDeviation: standardDeviation, noiseScale: noiseScale)
    }

    /// The same step at the schedule's step indices ([B] int64): sigma, sigma_next and
    /// sigma_1 come from `schedule`.
    public static func step(
        velocity: Tensor, sample: Tensor, schedule: FlowMatchSchedule, steps: Tensor,
        noiseLevel: Double = defaultNoiseLevel, previousSample: Tensor? = nil, generator: Generator? = nil
    ) -> FlowSDEStep {
        let (sigma, sigmaNext) = schedule.sigmas(atSteps: steps.to(device: sample.device), rank: sample.rank)
        return step(
            velocity: velocity, sample: sample, sigma: sigma, sigmaNext: sigmaNext,
            sigmaBelowOne: Double(schedule.sigmas[1]), noiseLevel: noiseLevel, previousSample: previousSample,
            generator: generator)
    }

    /// Flow-GRPO's per-step KL penalty between two steps' means that share a standard
    /// deviation: ‖mean − referenceMean‖² / (2 std²), averaged over all non-batch dimensions,
    /// shape [B] (Flow-GRPO then means over the batch). The gradient flows through `mean` only.
    ///
    /// With `standardDeviation` = the step's `standardDeviation` this is the exact KL of the
    /// two Gaussians per latent element. Flow-GRPO passes the step's `noiseScale` instead,
    /// which gives that KL times (sigma − sigma_next): pass `noiseScale` to reproduce its penalty.
    public static func klDivergence(mean: Tensor, referenceMean: Tensor, standardDeviation: Tensor) -> Tensor {
        precondition(
            mean.shape == referenceMean.shape,
            "FlowSDE.klDivergence: means of shapes \(mean.shape) and \(referenceMean.shape)")
        let perElement = (mean - referenceMean.detached()).square() / (2.0 * standardDeviation.square())
        return perElement.mean(dims: Array(1..<mean.rank))
    }
}
