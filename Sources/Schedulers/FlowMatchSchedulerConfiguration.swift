import Files
import Foundation

/// The settings of a diffusers `FlowMatchEulerDiscreteScheduler` `scheduler_config.json`
/// (Stable Diffusion 3, Flux). Unknown keys are ignored; a missing key (or JSON null)
/// takes diffusers' default; a feature this library does not implement, or a value that
/// would give NaN or an unusable schedule, is a `SchedulerConfigurationError` that names
/// the field.
public struct FlowMatchSchedulerConfiguration: Codable, Equatable, Sendable {
    /// How resolution-dependent shifting moves the noise levels by `mu`.
    public enum TimeShiftType: String, Codable, Sendable {
        /// sigma' = e^mu / (e^mu + (1/sigma - 1)): `shift` = e^mu.
        case exponential
        /// sigma' = mu / (mu + (1/sigma - 1)): `shift` = mu.
        case linear
    }

    public var numTrainTimesteps: Int = 1000
    /// The fixed shift s of sigma' = s sigma / (1 + (s - 1) sigma); ignored with dynamic shifting.
    public var shift: Double = 1.0
    /// When true the shift comes from `mu`, which the pipeline derives from the image size.
    public var useDynamicShifting: Bool = false
    public var baseShift: Double = 0.5
    public var maxShift: Double = 1.15
    public var baseImageSeqLen: Int = 256
    public var maxImageSeqLen: Int = 4096
    public var timeShiftType: TimeShiftType = .exponential

    /// Stable Diffusion 3 (medium, 3.5): 1000 training timesteps, shift 3, no dynamic shifting.
    public static let stableDiffusion3 = FlowMatchSchedulerConfiguration(shift: 3.0)

    /// The `_class_name` this configuration describes.
    public static let className = "FlowMatchEulerDiscreteScheduler"

    public init(
        numTrainTimesteps: Int = 1000, shift: Double = 1.0, useDynamicShifting: Bool = false,
        baseShift: Double = 0.5, maxShift: Double = 1.15, baseImageSeqLen: Int = 256, maxImageSeqLen: Int = 4096,
        timeShiftType: TimeShiftType = .exponential
    ) {
        self.numTrainTimesteps = numTrainTimesteps
        self.shift = shift
        self.useDynamicShifting = useDynamicShifting
        self.baseShift = baseShift
        self.maxShift = maxShift
        self.baseImageSeqLen = baseImageSeqLen
        self.maxImageSeqLen = maxImageSeqLen
        self.timeShiftType = timeShiftType
    }

    enum CodingKeys: String, CodingKey {
        case className = "_class_name"
        case numTrainTimesteps = "num_train_timesteps"
        case shift
        case useDynamicShifting = "use_dynamic_shifting"
        case baseShift = "base_shift"
        case maxShift = "max_shift"
        case baseImageSeqLen = "base_image_seq_len"
        case maxImageSeqLen = "max_image_seq_len"
        case timeShiftType = "time_shift_type"
        // Options of diffusers' scheduler this library does not implement: refused when on.
        case invertSigmas = "invert_sigmas"
        case shiftTerminal = "shift_terminal"
        case useKarrasSigmas = "use_karras_sigmas"
        case useExponentialSigmas = "use_exponential_sigmas"
        case useBetaSigmas = "use_beta_sigmas"
        case stochasticSampling = "stochastic_sampling"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.valueOrDefault(key, fallback)
        }
        func fail(_ key: CodingKeys, _ message: String) -> SchedulerConfigurationError {
            SchedulerConfigurationError(field: key.rawValue, message: message)
        }
        let className: String = try value(.className, Self.className)
        guard className == Self.className else {
            throw fail(.className, "this is a \(className) configuration, not a \(Self.className) one")
        }
        numTrainTimesteps = try value(.numTrainTimesteps, 1000)
        shift = try value(.shift, 1.0)
        useDynamicShifting = try value(.useDynamicShifting, false)
        baseShift = try value(.baseShift, 0.5)
        maxShift = try value(.maxShift, 1.15)
        baseImageSeqLen = try value(.baseImageSeqLen, 256)
        maxImageSeqLen = try value(.maxImageSeqLen, 4096)
        let timeShift: String = try value(.timeShiftType, TimeShiftType.exponential.rawValue)
        guard let timeShiftType = TimeShiftType(rawValue: timeShift) else {
            throw fail(.timeShiftType, "must be \"exponential\" or \"linear\", got \"\(timeShift)\"")
        }
        self.timeShiftType = timeShiftType
        // Each of these changes the noise levels away from the schedule implemented here;
        // sampling with them silently ignored would draw from another model's schedule.
        for key in [
            CodingKeys.invertSigmas, .useKarrasSigmas, .useExponentialSigmas, .useBetaSigmas, .stochasticSampling
        ] where try value(key, false) {
            throw fail(key, "is not supported (only the plain shifted schedule is); set it to false")
        }
        let shiftTerminal: Double = try value(.shiftTerminal, 0)
        guard shiftTerminal == 0 else {
            throw fail(.shiftTerminal, "is not supported (only the plain shifted schedule is); got \(shiftTerminal)")
        }
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.className, forKey: .className)
        try c.encode(numTrainTimesteps, forKey: .numTrainTimesteps)
        try c.encode(shift, forKey: .shift)
        try c.encode(useDynamicShifting, forKey: .useDynamicShifting)
        try c.encode(baseShift, forKey: .baseShift)
        try c.encode(maxShift, forKey: .maxShift)
        try c.encode(baseImageSeqLen, forKey: .baseImageSeqLen)
        try c.encode(maxImageSeqLen, forKey: .maxImageSeqLen)
        try c.encode(timeShiftType, forKey: .timeShiftType)
    }

    /// Reads `scheduler_config.json`.
    public static func load(from url: URL) throws -> FlowMatchSchedulerConfiguration {
        try ConfigurationFile.decode(FlowMatchSchedulerConfiguration.self, from: url)
    }

    /// Checks every field the schedule reads, so that a bad scheduler_config.json is
    /// refused with the field and the allowed range instead of sampling NaN.
    public func validate() throws {
        func fail(_ key: CodingKeys, _ message: String) -> SchedulerConfigurationError {
            SchedulerConfigurationError(field: key.rawValue, message: message)
        }
        let maximum = SchedulerConfiguration.maximumTrainTimesteps
        guard (2...maximum).contains(numTrainTimesteps) else {
            throw fail(.numTrainTimesteps, "must be in 2...\(maximum), got \(numTrainTimesteps)")
        }
        // The training noise levels are computed in float32, as diffusers does: a shift that
        // float32 rounds to infinity or to 0 makes the first of them inf/inf or 0/0.
        guard shift.isFinite && shift > 0 && Float(shift).isNormal else {
            throw fail(.shift, "must be a finite number > 0 within float32's range, got \(shift)")
        }
        if !useDynamicShifting, let equal = Self.firstEqualNeighbours(of: trainingSigmas) {
            throw fail(
                .shift,
                "\(shift) maps training noise levels \(equal) and \(equal + 1) to the same float32 value "
                    + "(\(trainingSigmas[equal])): the schedule would have steps of size 0")
        }
        guard useDynamicShifting else { return }
        for (key, value) in [(CodingKeys.baseShift, baseShift), (.maxShift, maxShift)] where !value.isFinite {
            throw fail(key, "must be a finite number when use_dynamic_shifting is true, got \(value)")
        }
        guard baseImageSeqLen >= 1 else {
            throw fail(.baseImageSeqLen, "must be at least 1 when use_dynamic_shifting is true, got \(baseImageSeqLen)")
        }
        // mu interpolates between the two lengths: equal lengths divide by zero.
        guard maxImageSeqLen > baseImageSeqLen else {
            throw fail(
                .maxImageSeqLen,
                "must exceed base_image_seq_len \(baseImageSeqLen) when use_dynamic_shifting is true, "
                    + "got \(maxImageSeqLen)")
        }
    }

    /// The training noise levels k / T, k = T...1, shifted by `shift` when dynamic shifting
    /// is off, in float32 as diffusers' constructor computes them: its first and last
    /// values bound every inference schedule.
    var trainingSigmas: [Float] {
        let count = Float(numTrainTimesteps)
        let unshifted = (1...numTrainTimesteps).reversed().map { Float($0) / count }
        guard !useDynamicShifting else { return unshifted }
        // Float32 tensor arithmetic with the Python scalars rounded to float32 first.
        let scale = Float(shift)
        let slope = Float(shift - 1)
        return unshifted.map { scale * $0 / (1 + slope * $0) }
    }

    /// The index of the first of two neighbouring equal values, or nil when all differ.
    static func firstEqualNeighbours(of values: [Float]) -> Int? {
        values.indices.dropLast().first { values[$0] == values[$0 + 1] }
    }
}
