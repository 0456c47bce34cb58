import Files
import Foundation
import Torch

/// The noise-schedule settings of a diffusers `scheduler/scheduler_config.json`
/// (DDIMScheduler / DDPMScheduler fields). Unknown keys are ignored; a missing
/// key takes diffusers' default; a value this library cannot honour is an error
/// that names the field.
public struct SchedulerConfiguration: Codable, Equatable, Sendable {
    public enum BetaSchedule: String, Codable, Sendable {
        case linear
        case scaledLinear = "scaled_linear"
        case squaredCosCapV2 = "squaredcos_cap_v2"
    }

    public enum PredictionType: String, Codable, Sendable {
        case epsilon
        case vPrediction = "v_prediction"
        case sample
    }

    public enum TimestepSpacing: String, Codable, Sendable {
        case leading
        case trailing
        case linspace
    }

    public var numTrainTimesteps: Int = 1000
    public var betaStart: Double = 0.0001
    public var betaEnd: Double = 0.02
    public var betaSchedule: BetaSchedule = .linear
    public var trainedBetas: [Double]? = nil
    public var clipSample: Bool = true
    public var clipSampleRange: Double = 1.0
    public var setAlphaToOne: Bool = true
    public var stepsOffset: Int = 0
    public var predictionType: PredictionType = .epsilon
    public var timestepSpacing: TimestepSpacing = .leading
    public var rescaleBetasZeroSNR: Bool = false

    /// Stable Diffusion 1.x's scheduler settings.
    public static let stableDiffusion = SchedulerConfiguration(
        betaStart: 0.00085, betaEnd: 0.012, betaSchedule: .scaledLinear, clipSample: false, setAlphaToOne: false,
        stepsOffset: 1)

    public init(
        numTrainTimesteps: Int = 1000, betaStart: Double = 0.0001, betaEnd: Double = 0.02,
        betaSchedule: BetaSchedule = .linear, clipSample: Bool = true, setAlphaToOne: Bool = true,
        stepsOffset: Int = 0, predictionType: PredictionType = .epsilon,
        timestepSpacing: TimestepSpacing = .leading
    ) {
        self.numTrainTimesteps = numTrainTimesteps
        self.betaStart = betaStart
        self.betaEnd = betaEnd
        self.betaSchedule = betaSchedule
        self.clipSample = clipSample
        self.setAlphaToOne = setAlphaToOne
        self.stepsOffset = stepsOffset
        self.predictionType = predictionType
        self.timestepSpacing = timestepSpacing
    }

    enum CodingKeys: String, CodingKey {
        case numTrainTimesteps = "num_train_timesteps"
        case betaStart = "beta_start"
        case betaEnd = "beta_end"
        case betaSchedule = "beta_schedule"
        case trainedBetas = "trained_betas"
        case clipSample = "clip_sample"
        case clipSampleRange = "clip_sample_range"
        case setAlphaToOne = "set_alpha_to_one"
        case stepsOffset = "steps_offset"
        case predictionType = "prediction_type"
        case timestepSpacing = "timestep_spacing"
        case rescaleBetasZeroSNR = "rescale_betas_zero_snr"
        case thresholding
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.valueOrDefault(key, fallback)
        }
        numTrainTimesteps = try value(.numTrainTimesteps, 1000)
        betaStart = try value(.betaStart, 0.0001)
        betaEnd = try value(.betaEnd, 0.02)
        betaSchedule = try value(.betaSchedule, .linear)
        trainedBetas = try value(.trainedBetas, nil)
        clipSample = try value(.clipSample, true)
        clipSampleRange = try value(.clipSampleRange, 1.0)
        setAlphaToOne = try value(.setAlphaToOne, true)
        stepsOffset = try value(.stepsOffset, 0)
        predictionType = try value(.predictionType, .epsilon)
        timestepSpacing = try value(.timestepSpacing, .leading)
        rescaleBetasZeroSNR = try value(.rescaleBetasZeroSNR, false)
        if try value(.thresholding, false) {
            throw DecodingError.dataCorruptedError(
                forKey: .thresholding, in: c, debugDescription: "dynamic thresholding is not supported")
        }
        // Every field the schedule reads, with its allowed range (SchedulerConfigurationError,
        // which names the field; ConfigurationFile adds the file).
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(numTrainTimesteps, forKey: .numTrainTimesteps)
        try c.encode(betaStart, forKey: .betaStart)
        try c.encode(betaEnd, forKey: .betaEnd)
        try c.encode(betaSchedule, forKey: .betaSchedule)
        try c.encodeIfPresent(trainedBetas, forKey: .trainedBetas)
        try c.encode(clipSample, forKey: .clipSample)
        try c.encode(clipSampleRange, forKey: .clipSampleRange)
        try c.encode(setAlphaToOne, forKey: .setAlphaToOne)
        try c.encode(stepsOffset, forKey: .stepsOffset)
        try c.encode(predictionType, forKey: .predictionType)
        try c.encode(timestepSpacing, forKey: .timestepSpacing)
        try c.encode(rescaleBetasZeroSNR, forKey: .rescaleBetasZeroSNR)
    }

    /// Reads `scheduler_config.json` (or any file with these keys).
    public static func load(from url: URL) throws -> SchedulerConfiguration {
        try ConfigurationFile.decode(SchedulerConfiguration.self, from: url)
    }
}
