import Foundation
import Torch

/// One DDIM step's results.
public struct DDIMStep {
    /// x_{t-1}: the drawn sample, or the given one when re-scoring a trajectory.
    public var previousSample: Tensor
    /// log p(x_{t-1} | x_t), averaged over all non-batch dimensions, shape [B].
    public var logProbability: Tensor
    /// The Gaussian mean mu of p(x_{t-1} | x_t).
    public var mean: Tensor
    /// sigma_t, shaped [B, 1, ..., 1].
    public var standardDeviation: Tensor
    /// The model's estimate of x_0.
    public var predictedOriginal: Tensor
}

/// DDIM (Song et al. 2020) as diffusers' `DDIMScheduler` computes it
/// (schedulers/scheduling_ddim.py: same float32 ops in the same order, noise drawn
/// with `randn` of the model output's shape), extended for DDPO:
/// - timesteps are a [B] tensor, so every sample may sit at a different step;
/// - a given previous sample can be re-scored instead of drawing one;
/// - the step returns the Gaussian log-probability of x_{t-1} (docs/algorithm.md §2).
/// At eta 0 the step is deterministic DDIM (for drawing images, not for DDPO): x_{t-1}
/// is the mean, no noise is drawn (diffusers draws none either, so the generator's
/// stream stays diffusers'), and the log-probability, which a point mass does not
/// have, is NaN, so that no policy gradient can be computed from it unnoticed.
/// Limitations: no dynamic thresholding.
public struct DDIMScheduler {
    public let schedule: NoiseSchedule
    public var configuration: SchedulerConfiguration { schedule.configuration }

    public init(configuration: SchedulerConfiguration = .stableDiffusion) {
        schedule = NoiseSchedule(configuration)
    }

    /// The timesteps of an N-step sampling run, from noisiest to cleanest. Traps, with
    /// the reason, for a step count `checkedTimesteps(inferenceSteps:)` refuses: check
    /// user input with that (or `checkInferenceSteps`) first.
    public func timesteps(inferenceSteps n: Int) -> [Int] {
        do {
            return try checkedTimesteps(inferenceSteps: n)
        } catch {
            fatalError("DDIMScheduler: \(error)")
        }
    }

    /// The timesteps of an N-step sampling run, or an error saying which step counts
    /// this schedule allows: 1...maximumInferenceSteps, so that every timestep (with
    /// `steps_offset`) indexes the [num_train_timesteps] tables.
    public func checkedTimesteps(inferenceSteps n: Int) throws -> [Int] {
        try checkInferenceSteps(n)
        let timesteps = unvalidatedTimesteps(inferenceSteps: n)
        let train = configuration.numTrainTimesteps
        if let bad = timesteps.first(where: { !(0..<train).contains($0) }) {
            throw SchedulerConfigurationError(
                field: "num_inference_steps",
                message:
                    "\(n) sampling steps give timestep \(bad), outside 0...\(train - 1) "
                    + "(steps_offset \(configuration.stepsOffset)); choose another number of steps")
        }
        guard timesteps.count == n else { throw stepsError(n) }
        return timesteps
    }

    /// Throws unless `n` is in 1...maximumInferenceSteps (computed without building
    /// the timesteps, so a huge `n` costs nothing).
    public func checkInferenceSteps(_ n: Int) throws {
        guard n >= 1 && n <= maximumInferenceSteps else { throw stepsError(n) }
    }

    /// The most inference steps this schedule can take: num_train_timesteps, less
    /// steps_offset for "leading" spacing (the last timestep is (n - 1) · (T / n) +
    /// steps_offset, which must stay below T).
    public var maximumInferenceSteps: Int {
        let train = configuration.numTrainTimesteps
        guard configuration.timestepSpacing == .leading else { return train }
        var n = train
        while n > 0 && (n - 1) * (train / n) + configuration.stepsOffset >= train { n -= 1 }
        return n
    }

    private func stepsError(_ n: Int) -> SchedulerConfigurationError {
        let c = configuration
        let maximum = maximumInferenceSteps
        let range = maximum >= 1 ? "1...\(maximum)" : "nothing (no step count fits)"
        return SchedulerConfigurationError(
            field: "num_inference_steps",
            message:
                "the number of sampling steps must be in \(range) for this scheduler "
                + "(num_train_timesteps \(c.numTrainTimesteps), steps_offset \(c.stepsOffset), "
                + "timestep_spacing \(c.timestepSpacing.rawValue)), got \(n)")
    }

    private func unvalidatedTimesteps(inferenceSteps n: Int) -> [Int] {
        let train = configuration.numTrainTimesteps
        switch configuration.timestepSpacing {
        case .leading:
            let ratio = train / n
            return (0..<n).reversed().map { $0 * ratio + configuration.stepsOffset }
        case .trailing:
            let ratio = Double(train) / Double(n)
            // np.arange(train, 0, -ratio): ceil(train / ratio) values train - i * ratio,
            // rounded half to even, minus one.
            let count = Int((Double(train) / ratio).rounded(.up))
            return (0..<count).map { Int((Double(train) - Double($0) * ratio).rounded(.toNearestOrEven)) - 1 }
        case .linspace:
            guard n > 1 else { return [0] }
            let last = Double(train - 1)
            return (0..<n).map { Int((last * Double($0) / Double(n - 1)).rounded(.toNearestOrEven)) }.reversed()
        }
    }

    /// The distance between consecutive timesteps (diffusers' prev_timestep offset).
    public func stepSize(inferenceSteps n: Int) -> Int { configuration.numTrainTimesteps / n }

    /// One reverse step x_t -> x_{t-1} with its log-probability.
    /// - Parameters:
    ///   - modelOutput: the (guided) network output for `sample`.
    ///   - timesteps: int64 [B], the current timestep of each sample.
    ///   - sample: x_t.
    ///   - eta: the DDIM noise scale, in [0, 1]; 0 is deterministic (see the type's note).
    ///   - previousSample: when given, x_{t-1} is not drawn; its log-probability is computed (no gradient flows through it).
    ///   - generator: the generator the noise is drawn from (the device default when nil).
    public func step(
        modelOutput: Tensor, timesteps: Tensor, sample: Tensor, inferenceSteps: Int, eta: Double,
        previousSample: Tensor? = nil, generator: Generator? = nil
    ) -> DDIMStep {
        precondition(eta >= 0 && eta.isFinite, "DDIMScheduler.step: eta must be finite and >= 0, got \(eta)")
        let rank = sample.rank
        let t = timesteps.to(device: sample.device)
        let prevT = t - stepSize(inferenceSteps: inferenceSteps)
        let alphaProd = schedule.alphaCumprod(at: t, rank: rank)
        let gathered = schedule.alphaCumprod(at: prevT.clamped(min: 0), rank: rank)
        let final = schedule.finalAlphaCumprod.to(device: sample.device)
        let alphaProdPrev = Tensor.where(
            (prevT .>= 0.0).reshaped(gathered.shape), gathered, final.expanded(to: gathered.shape))
        let betaProd = 1.0 - alphaProd

        var predictedOriginal: Tensor
        let predictedEpsilon: Tensor
        switch configuration.predictionType {
        case .epsilon:
            predictedOriginal = (sample - betaProd.pow(0.5) * modelOutput) / alphaProd.pow(0.5)
            predictedEpsilon = modelOutput
        case .sample:
            predictedOriginal = modelOutput
            predictedEpsilon = (sample - alphaProd.pow(0.5) * predictedOriginal) / betaProd.pow(0.5)
        case .vPrediction:
            predictedOriginal = alphaProd.pow(0.5) * sample - betaProd.pow(0.5) * modelOutput
            predictedEpsilon = alphaProd.pow(0.5) * modelOutput + betaProd.pow(0.5) * sample
        }
        if configuration.clipSample {
            let range = configuration.clipSampleRange
            predictedOriginal = predictedOriginal.clamped(min: -range, max: range)
        }

        let variance = ((1.0 - alphaProdPrev) / betaProd) * (1.0 - alphaProd / alphaProdPrev)
        let standardDeviation = eta * variance.pow(0.5)
        let direction = (1.0 - alphaProdPrev - standardDeviation.pow(2)).pow(0.5) * predictedEpsilon
        let mean = alphaProdPrev.pow(0.5) * predictedOriginal + direction

        let previous: Tensor
        if let previousSample {
            previous = previousSample
        } else if eta == 0 {
            previous = mean
        } else {
            // Drawn on the generator's device, then moved: a CPU generator gives the same
            // noise whatever device the model runs on (diffusers' randn_tensor does the same).
            let noise = Tensor.randn(
                modelOutput.shape, dtype: modelOutput.dtype, device: generator?.device ?? modelOutput.device,
                generator: generator
            ).to(device: modelOutput.device)
            previous = mean + standardDeviation * noise
        }
        // At eta 0 the density would divide by sigma = 0: NaN says "undefined" outright.
        let logProbability =
            eta == 0
            ? Tensor.full([sample.size(0)], value: .nan, dtype: mean.dtype, device: mean.device)
            : Self.gaussianLogProbability(
                of: previous.detached(), mean: mean,
                standardDeviation: standardDeviation)
        return DDIMStep(
            previousSample: previous, logProbability: logProbability, mean: mean,
            standardDeviation: standardDeviation, predictedOriginal: predictedOriginal)
    }

    /// log N(x; mean, std^2) per element, meaned over all non-batch dimensions.
    /// The mean (not the sum) keeps PPO ratios finite and matches the clip range's scale.
    public static func gaussianLogProbability(of x: Tensor, mean: Tensor, standardDeviation: Tensor) -> Tensor {
        let logDensity =
            -((x - mean).pow(2)) / (2.0 * standardDeviation.pow(2))
            - standardDeviation.log() - Foundation.log((2 * Double.pi).squareRoot())
        return logDensity.mean(dims: Array(1..<x.rank))
    }
}
