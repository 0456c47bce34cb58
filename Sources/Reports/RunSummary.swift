import DDPO
import Foundation
import RunLogging

/// The numbers at the top of a report, derived from a `RunFolder`. Values that
/// the run does not have yet are nil; values that are NaN stay NaN.
public struct RunSummary {
    /// Epochs with a metrics record.
    public var completedEpochs: Int
    /// `epochs` of the configuration; nil without a readable config.yaml.
    public var plannedEpochs: Int?
    public var samplesPerEpoch: Int?
    /// Mean reward of the first and of the last recorded epoch.
    public var firstEpochReward: Double?
    public var lastEpochReward: Double?
    /// The evaluation of the base model (epoch 0) and the latest one after training.
    public var before: Evaluation?
    public var after: Evaluation?
    /// Mean seconds per epoch of each phase, over epochs where it is finite.
    public var meanSampling: Double?
    public var meanRewardWait: Double?
    public var meanTraining: Double?
    /// Seconds of all epochs' phases together (model loading and evaluations excluded).
    public var totalSeconds: Double?
    /// config.yaml's `seed`.
    public var configuredSeed: UInt64?
    /// The clock time from the starts (run.json) to the last records; nil without
    /// run.json or without a record after a start.
    var wallTime: RunWallTime?

    public init(_ run: RunFolder) {
        completedEpochs = run.epochs.count
        plannedEpochs = run.configuration?.epochs
        samplesPerEpoch = run.configuration?.samplesPerEpoch
        firstEpochReward = run.epochs.first?.values["reward_mean"]
        lastEpochReward = run.epochs.last?.values["reward_mean"]
        before = run.evaluations.first { $0.epoch == 0 }
        after = run.evaluations.last { $0.epoch > 0 }
        meanSampling = Self.mean(run.epochs.compactMap { $0.values["time_sampling_s"] })
        meanRewardWait = Self.mean(run.epochs.compactMap { $0.values["time_reward_wait_s"] })
        meanTraining = Self.mean(run.epochs.compactMap { $0.values["time_training_s"] })
        let perEpoch = run.epochs.map { record in
            ["time_sampling_s", "time_reward_wait_s", "time_training_s"]
                .compactMap { record.values[$0] }.filter(\.isFinite).reduce(0, +)
        }
        totalSeconds = perEpoch.isEmpty ? nil : perEpoch.reduce(0, +)
        configuredSeed = run.configuration?.seed
        wallTime = RunWallTime(starts: run.starts.map(\.time.timeIntervalSince1970), recordTimes: run.recordTimes)
    }

    /// The first and the last monitor reading of `key` (a `monitor/…` name), with
    /// their epochs; nil when it was never logged.
    static func monitorChange(_ run: RunFolder, key: String) -> (first: Double, last: Double, epochs: ClosedRange<Int>)?
    {
        let readings = run.monitorReadings.compactMap { record in record.values[key].map { (record.epoch, $0) } }
        guard let first = readings.first, let last = readings.last else { return nil }
        return (first.1, last.1, first.0...last.0)
    }

    /// True once every planned epoch has a record.
    public var isFinished: Bool {
        guard let plannedEpochs else { return false }
        return completedEpochs >= plannedEpochs
    }

    /// After minus before, in mean evaluation reward; nil until both exist.
    public var evaluationGain: Double? {
        guard let before, let after else { return nil }
        return after.meanReward - before.meanReward
    }

    /// The mean of the finite values; nil when there are none.
    static func mean(_ values: [Double]) -> Double? {
        let finite = values.filter(\.isFinite)
        return finite.isEmpty ? nil : finite.reduce(0, +) / Double(finite.count)
    }
}
