import DDPO
import Foundation
import Logging
import Reports
import RunLogging

/// What `ddpo train` shows while it runs: a bar per phase of the current epoch, a
/// line per finished epoch with the elapsed time and an estimate of the rest, and at
/// the end a summary of what the run did to reward and fidelity.
///
/// Epochs are numbered as in metrics.jsonl, TensorBoard and the report: epoch k is
/// the one that starts after k epochs were trained, 0 ..< epochs; "k+1/N" counts them.
final class RunProgress {
    let plannedEpochs: Int
    private let logger: Logger
    private let runStart = Date()
    /// When the first epoch began: loading and the first evaluation (and monitors) were done.
    private var firstEpochStart: Date?
    private var lastEpochEnd: Date?
    /// Wall seconds of each epoch this process trained, monitors and checkpoints included.
    private var epochSeconds: [Double] = []
    private var currentEpoch: Int
    private var phase: (title: String, done: Int, bar: ProgressBar)?

    init(startEpoch: Int, plannedEpochs: Int, logger: Logger) {
        self.currentEpoch = startEpoch
        self.plannedEpochs = plannedEpochs
        self.logger = logger
    }

    /// The trainer's progress callback: phase title, done and total.
    func phaseProgress(_ title: String, _ done: Int, _ total: Int) {
        if firstEpochStart == nil { firstEpochStart = Date() }
        // A new bar per phase; "training" recurs every epoch and restarts from 1.
        if phase?.title != title || done <= phase!.done {
            phase = (
                title, 0,
                ProgressBar(
                    title: title, total: total, unit: Self.unit(ofPhase: title),
                    context: "epoch \(currentEpoch)", logger: logger)
            )
        }
        phase!.done = done
        phase!.bar.update(done)
    }

    /// What a phase's progress counts.
    static func unit(ofPhase title: String) -> String {
        if title.hasPrefix("sampling") { return "steps" }
        if title.hasPrefix("training") { return "micro-batches" }
        if title.hasPrefix("labels") { return "pairs answered" }
        return ""
    }

    /// Logs the finished epoch with its figures, the elapsed time and the ETA.
    func epochFinished(_ report: EpochReport) {
        let now = Date()
        epochSeconds.append(now.timeIntervalSince(lastEpochEnd ?? firstEpochStart ?? runStart))
        lastEpochEnd = now
        currentEpoch = report.epoch + 1
        var metadata: Logger.Metadata = [
            "epoch": "\(report.epoch)", "done": "\(report.epoch + 1)/\(plannedEpochs)",
            "reward_mean": "\(ReadableNumber.text(report.rewardMean))",
            "reward_std": "\(ReadableNumber.text(report.rewardStd))",
            "approx_kl": "\(ReadableNumber.text(report.update.approxKL))",
            "clipfrac": "\(ReadableNumber.text(report.update.clipFraction))",
            "epoch_time": "\(ReadableNumber.duration(epochSeconds.last!))",
            "elapsed": "\(ReadableNumber.duration(now.timeIntervalSince(runStart)))"
        ]
        if let eta = estimatedRemainingSeconds(epochsLeft: plannedEpochs - report.epoch - 1) {
            metadata["eta"] = "\(ReadableNumber.duration(eta))"
        }
        for task in report.tasks {
            metadata["reward_mean/\(task.name)"] = "\(ReadableNumber.text(task.rewardMean))"
        }
        logger.info("epoch", metadata: metadata)
    }

    /// The remaining epochs at the median pace so far (monitors and checkpoints
    /// included), plus the final evaluation, estimated by the time before the first
    /// epoch (loading and the first evaluation).
    func estimatedRemainingSeconds(epochsLeft: Int) -> Double? {
        guard !epochSeconds.isEmpty else { return nil }
        let sorted = epochSeconds.sorted()
        let median = sorted[sorted.count / 2]
        let finalEvaluation = firstEpochStart.map { $0.timeIntervalSince(runStart) } ?? 0
        return Double(max(0, epochsLeft)) * median + (epochsLeft >= 0 ? finalEvaluation : 0)
    }

    /// The monitor values the summary shows, with their labels; the report has the rest.
    /// `fidelity_match_all` is the shapes recogniser's share of images fully true to their caption.
    static let monitorSummaryValues = [
        (MonitorReading.heldOutRewardName, "held-out reward"),
        (MonitorReading.fidelityName, "held-out fidelity"),
        (MonitorReading.fidelityName + "_match_all", "held-out fidelity match_all"),
        (MonitorReading.diversityName, "held-out diversity"),
        (MonitorReading.klToBaseName, "KL to base")
    ]

    /// The run's outcome from its folder: evaluation reward before → after and each
    /// main monitor value (`monitorSummaryValues`) first → last reading.
    static func summaryLines(runDirectory: URL) -> [String] {
        guard let run = try? RunFolder.read(runDirectory) else { return [] }
        var lines: [String] = []
        let summary = RunSummary(run)
        if let before = summary.before, let after = summary.after {
            lines.append(
                "evaluation reward (\(after.prompts.count) fixed samples): \(ReadableNumber.text(before.meanReward)) → "
                    + "\(ReadableNumber.text(after.meanReward)) (\(ReadableNumber.signed(after.meanReward - before.meanReward)))"
            )
        }
        let readings = run.monitorReadings
        if let first = readings.first, let last = readings.last, last.epoch > first.epoch {
            for (key, label) in monitorSummaryValues {
                guard let before = first.values[key], let after = last.values[key] else { continue }
                lines.append(
                    "\(label) (monitor, epoch \(first.epoch) → \(last.epoch)): "
                        + "\(ReadableNumber.text(before)) → \(ReadableNumber.text(after))")
            }
        }
        return lines
    }
}
