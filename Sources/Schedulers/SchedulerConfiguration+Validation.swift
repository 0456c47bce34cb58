import Foundation

/// A scheduler setting (or a number of inference steps) that would give a schedule
/// with NaNs, indices outside the tables, or no usable step; `field` is the
/// scheduler_config.json key (or `num_inference_steps`).
public struct SchedulerConfigurationError: Error, CustomStringConvertible, Equatable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "field '\(field)': \(message)" }
}

extension SchedulerConfiguration {
    /// The largest `num_train_timesteps` accepted: the tables are [T] float32, and
    /// diffusers' schedules have 1000.
    public static let maximumTrainTimesteps = 100_000

    /// The smallest alpha-bar (prod(1 - beta)) a schedule may reach: below it float32
    /// loses the signal (x_0 = (x_t - sqrt(1 - alpha-bar) eps) / sqrt(alpha-bar) overflows),
    /// and at 0 the DDIM step divides by zero.
    public static let minimumAlphaCumprod = 1e-30

    /// Checks every field the noise schedule and DDIM read, so that a bad
    /// scheduler_config.json is refused with the field and the allowed range instead
    /// of sampling NaN (black images, `approx_kl=nan`) or indexing outside the tables.
    public func validate() throws {
        func fail(_ field: CodingKeys, _ message: String) -> SchedulerConfigurationError {
            SchedulerConfigurationError(field: field.rawValue, message: message)
        }
        let maximum = Self.maximumTrainTimesteps
        guard (1...maximum).contains(numTrainTimesteps) else {
            throw fail(.numTrainTimesteps, "must be in 1...\(maximum), got \(numTrainTimesteps)")
        }
        guard (0..<numTrainTimesteps).contains(stepsOffset) else {
            throw fail(
                .stepsOffset,
                "must be in 0...\(numTrainTimesteps - 1) (below num_train_timesteps \(numTrainTimesteps)), "
                    + "got \(stepsOffset)")
        }
        if clipSample {
            guard clipSampleRange.isFinite && clipSampleRange > 0 else {
                throw fail(
                    .clipSampleRange, "must be a finite number > 0 when clip_sample is true, got \(clipSampleRange)")
            }
        }
        let betas: [Double]
        if let trainedBetas {
            guard trainedBetas.count == numTrainTimesteps else {
                throw fail(
                    .trainedBetas,
                    "has \(trainedBetas.count) values for num_train_timesteps \(numTrainTimesteps) (one per timestep)")
            }
            if let index = trainedBetas.firstIndex(where: { !($0 > 0 && $0 < 1) }) {
                throw fail(.trainedBetas, "every beta must be in (0, 1), got \(trainedBetas[index]) at index \(index)")
            }
            betas = trainedBetas
        } else {
            switch betaSchedule {
            case .linear, .scaledLinear:
                for (key, value) in [(CodingKeys.betaStart, betaStart), (.betaEnd, betaEnd)]
                where !(value > 0 && value < 1) {
                    throw fail(key, "must be in (0, 1) (a noise variance per step), got \(value)")
                }
                guard betaStart <= betaEnd else {
                    throw fail(.betaStart, "must not exceed beta_end \(betaEnd), got \(betaStart)")
                }
                betas = Self.doubleBetas(
                    start: betaStart, end: betaEnd, count: numTrainTimesteps, squared: betaSchedule == .scaledLinear)
            case .squaredCosCapV2:
                betas = NoiseSchedule.cosineBetas(count: numTrainTimesteps)
            }
        }
        // In float32, 1 - beta must differ from 1, otherwise alpha-bar is exactly 1 at the
        // first step and the DDIM variance is 0 / 0.
        let firstKey: CodingKeys = trainedBetas != nil ? .trainedBetas : .betaStart
        if let first = betas.first, Float(1) - Float(first) == 1 {
            throw fail(firstKey, "\(first) is too small: 1 - beta rounds to 1 in float32 (use at least 1e-7)")
        }
        // alpha-bar only falls; its last value is the smallest (rescale_betas_zero_snr
        // sets it to 0 on purpose, so it is not checked then).
        if !rescaleBetasZeroSNR {
            let logAlphaBar = betas.reduce(0) { $0 + Foundation.log1p(-$1) }
            if logAlphaBar < Foundation.log(Self.minimumAlphaCumprod) {
                let decimalExponent = Int((logAlphaBar / Foundation.log(10)).rounded())
                let key: CodingKeys = trainedBetas != nil ? .trainedBetas : .betaEnd
                throw fail(
                    key,
                    "the schedule's final alpha-bar prod(1 - beta) is about 1e\(decimalExponent), "
                        + "below \(Self.minimumAlphaCumprod): the last steps would divide by 0 in float32 "
                        + "(lower beta_start/beta_end or num_train_timesteps)")
            }
        }
    }

    /// The betas of a (scaled) linear schedule in double precision, for the checks.
    static func doubleBetas(start: Double, end: Double, count: Int, squared: Bool) -> [Double] {
        let (a, b) = squared ? (start.squareRoot(), end.squareRoot()) : (start, end)
        return (0..<count).map { i in
            let value = count == 1 ? a : a + (b - a) * Double(i) / Double(count - 1)
            return squared ? value * value : value
        }
    }
}
