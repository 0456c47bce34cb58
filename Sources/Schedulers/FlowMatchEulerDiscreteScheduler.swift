import Foundation
import Torch

/// The noise levels of one N-step flow-matching sampling run.
public struct FlowMatchSchedule: Equatable, Sendable {
    /// sigma_0 > sigma_1 > ... > sigma_{N-1} > sigma_N = 0, float32, N + 1 values: step i
    /// moves x from sigma_i to sigma_{i+1}. x = (1 - sigma) x_0 + sigma noise.
    public let sigmas: [Float]
    /// sigma_i · num_train_timesteps (float32), the timestep the transformer is given at step i; N values.
    public let timesteps: [Float]

    public var inferenceSteps: Int { timesteps.count }

    /// sigma_i and sigma_{i+1} for a [B] int64 tensor of step indices, each shaped
    /// [B, 1, ..., 1] to broadcast against samples of the given rank.
    public func sigmas(atSteps steps: Tensor, rank: Int) -> (current: Tensor, next: Tensor) {
        let table = Tensor(sigmas).to(device: steps.device)
        let shape = [-1] + Array(repeating: 1, count: Swift.max(rank - 1, 0))
        let index = steps.flattened()
        return (
            table.indexSelect(dim: 0, index: index).reshaped(shape),
            table.indexSelect(dim: 0, index: index + 1).reshaped(shape)
        )
    }
}

/// Rectified-flow sampling with Euler steps, as diffusers' `FlowMatchEulerDiscreteScheduler`
/// computes it for Stable Diffusion 3 (schedulers/scheduling_flow_match_euler_discrete.py):
/// the same noise levels bit for bit, and the same float32 update. The model predicts the
/// velocity v = noise - x_0; the ODE dx/dsigma = v runs from sigma = 1 (noise) to 0.
/// Limitations: only the plain shifted schedule (no Karras, exponential or beta sigmas,
/// no inverted sigmas, no terminal stretch, no stochastic sampling); the configuration
/// refuses the others.
public struct FlowMatchEulerDiscreteScheduler: Sendable {
    public let configuration: FlowMatchSchedulerConfiguration

    public init(configuration: FlowMatchSchedulerConfiguration = .stableDiffusion3) {
        self.configuration = configuration
    }

    /// The noise levels of an N-step run. `mu` is the resolution-dependent shift (see
    /// `mu(imageSequenceLength:)`), required with dynamic shifting and ignored without, as
    /// in diffusers. Throws for a step count outside 1...num_train_timesteps, or one whose
    /// float32 noise levels would not strictly fall (a step of size 0).
    public func schedule(inferenceSteps n: Int, mu: Double? = nil) throws -> FlowMatchSchedule {
        let c = configuration
        guard (1...c.numTrainTimesteps).contains(n) else {
            throw SchedulerConfigurationError(
                field: "num_inference_steps",
                message: "the number of sampling steps must be in 1...\(c.numTrainTimesteps), got \(n)")
        }
        let shifted = try shiftedSigmas(evenlySpacedSigmas(count: n), mu: mu).map { Float($0) }
        let train = Float(c.numTrainTimesteps)
        let sigmas = shifted + [0]
        if let equal = FlowMatchSchedulerConfiguration.firstEqualNeighbours(of: sigmas) {
            throw SchedulerConfigurationError(
                field: "num_inference_steps",
                message:
                    "\(n) sampling steps with \(shiftDescription(mu: mu)) give steps \(equal) and \(equal + 1) "
                    + "the same float32 noise level \(sigmas[equal]), a step of size 0: choose fewer steps or a "
                    + "weaker shift")
        }
        return FlowMatchSchedule(sigmas: sigmas, timesteps: shifted.map { $0 * train })
    }

    /// The resolution-dependent shift diffusers' SD3 pipeline passes as `mu`: linear in the
    /// number of latent patches, base_shift at base_image_seq_len and max_shift at
    /// max_image_seq_len. For a latent of H × W and patch size p it is (H / p) · (W / p).
    public func mu(imageSequenceLength: Int) -> Double {
        let c = configuration
        let slope = (c.maxShift - c.baseShift) / Double(c.maxImageSeqLen - c.baseImageSeqLen)
        let intercept = c.baseShift - slope * Double(c.baseImageSeqLen)
        return Double(imageSequenceLength) * slope + intercept
    }

    /// N noise levels evenly spaced (numpy's float64 linspace) from the first to the last
    /// training noise level, before the inference shift. The training levels are already
    /// shifted without dynamic shifting, so diffusers shifts that schedule's ends twice;
    /// that is kept, since it is what SD3 samples with.
    private func evenlySpacedSigmas(count n: Int) -> [Double] {
        let training = configuration.trainingSigmas
        let train = Double(configuration.numTrainTimesteps)
        // diffusers spaces timesteps (sigma · T) and divides by T again; both roundings matter.
        let start = Double(training[0]) * train
        let stop = Double(training[training.count - 1]) * train
        guard n > 1 else { return [start / train] }
        let step = (stop - start) / Double(n - 1)
        var timesteps = (0..<n).map { Double($0) * step + start }
        timesteps[n - 1] = stop
        return timesteps.map { $0 / train }
    }

    /// The inference shift in float64: the fixed shift s, or with dynamic shifting the
    /// time shift by mu.
    private func shiftedSigmas(_ sigmas: [Double], mu: Double?) throws -> [Double] {
        let c = configuration
        guard c.useDynamicShifting else {
            return sigmas.map { c.shift * $0 / (1 + (c.shift - 1) * $0) }
        }
        guard let mu, mu.isFinite else {
            throw SchedulerConfigurationError(
                field: "mu",
                message:
                    "use_dynamic_shifting is true: the schedule needs a finite mu "
                    + "(mu(imageSequenceLength:) gives the pipeline's), got \(mu.map { "\($0)" } ?? "none")")
        }
        let scale: Double
        switch c.timeShiftType {
        case .exponential:
            scale = Foundation.exp(mu)
            // Past about ±709 exp overflows to infinity or underflows to 0, and the shift
            // at sigma = 1 becomes inf/inf or 0/0: NaN noise levels.
            guard scale.isFinite && scale > 0 else {
                throw SchedulerConfigurationError(
                    field: "mu",
                    message:
                        "exp(mu) must be a finite number > 0 with time_shift_type \"exponential\", got mu \(mu) "
                        + "(check base_shift and max_shift)")
            }
        case .linear:
            guard mu > 0 else {
                throw SchedulerConfigurationError(
                    field: "mu", message: "must be > 0 with time_shift_type \"linear\", got \(mu)")
            }
            scale = mu
        }
        return sigmas.map { scale / (scale + (1 / $0 - 1)) }
    }

    /// The shift a schedule was built with, for error messages.
    private func shiftDescription(mu: Double?) -> String {
        guard configuration.useDynamicShifting else { return "shift \(configuration.shift)" }
        return "mu \(mu.map { "\($0)" } ?? "none") (time_shift_type \(configuration.timeShiftType.rawValue))"
    }

    /// One Euler step x_{i+1} = x_i + (sigma_{i+1} - sigma_i) v from the schedule's step `index`
    /// (the ODE sampler, deterministic). Computed as diffusers does: the sample in float32,
    /// the product (sigma_{i+1} - sigma_i) v in the velocity's dtype, the result cast back
    /// to the velocity's dtype.
    public func step(velocity: Tensor, sample: Tensor, schedule: FlowMatchSchedule, index: Int) -> Tensor {
        precondition(
            schedule.timesteps.indices.contains(index),
            "FlowMatchEulerDiscreteScheduler.step: step \(index) outside 0..<\(schedule.inferenceSteps)")
        // diffusers multiplies by a 0-dim float32 tensor, which torch first rounds to the
        // velocity's dtype: with a bfloat16 velocity the step size is a bfloat16 too.
        let stepSize = Tensor(
            scalar: Double(schedule.sigmas[index + 1] - schedule.sigmas[index]), dtype: velocity.dtype,
            device: velocity.device)
        return (sample.to(dtype: .float32) + stepSize * velocity).to(dtype: velocity.dtype)
    }
}
