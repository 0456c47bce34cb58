import ArgumentParser
import DDPO
import Foundation
import ImageCodecs
import Logging
import Torch

struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a diffusion model with DDPO (or RWR) against a reward.",
        discussion: """
            Writes runs/<run_name>/: config.yaml, metrics.jsonl, TensorBoard events, checkpoints/,
            lora/pytorch_lora_weights.safetensors (diffusers' load_lora_weights format), evaluations/
            (fixed prompts before and after training) and, when it stops, report.html.
            Resume an interrupted run with --resume runs/<run_name>.
            """)

    @Option(help: "YAML configuration file (see configs/).")
    var config: String?

    @Option(name: .customLong("set"), help: "Override a field, e.g. --set train.learning_rate=1e-4 (repeatable).")
    var overrides: [String] = []

    @Option(help: "Continue the run in this folder from its newest checkpoint (uses its config.yaml).")
    var resume: String?

    func validate() throws {
        guard config != nil || resume != nil else { throw ValidationError("give --config FILE or --resume RUN_DIR") }
    }

    func run() async throws {
        let logger = Logs.logger("ddpo.train")
        var configuration: TrainingConfiguration
        if let resume {
            configuration = try TrainingConfiguration.load(
                yaml: URL(fileURLWithPath: resume).appendingPathComponent("config.yaml"), overrides: overrides)
            configuration.resume = resume
        } else {
            configuration = try TrainingConfiguration.load(yaml: URL(fileURLWithPath: config!), overrides: overrides)
        }
        try await Self.train(configuration, logger: logger)
    }

    /// Runs (or resumes) one training run with its metrics, TensorBoard events,
    /// progress bars and, however it ends, its report.
    static func train(_ configuration: TrainingConfiguration, logger: Logger) async throws {
        let trainer = try Trainer(configuration: configuration, rewards: RewardCatalogue.registry(model: configuration.model),
                                  logger: logger)
        let directory = trainer.runDirectory
        let tensorBoard = try TensorBoardWriter(directory: directory)
        let metrics = try MetricsLog(fileURL: directory.appendingPathComponent("metrics.jsonl"))
        // Also when training fails: what the run did so far is worth a report.
        defer { writeReport(directory, logger: logger) }
        logger.info("run", metadata: ["directory": "\(directory.path)", "start_epoch": "\(trainer.epoch)",
                                      "epochs": "\(trainer.configuration.epochs)"])
        var phase: (title: String, done: Int, bar: ProgressBar)?
        let progress: (String, Int, Int) -> Void = { title, done, total in
            // A new bar per phase; "training" recurs every epoch and restarts from 1.
            if phase?.title != title || done <= phase!.done {
                phase = (title, 0, ProgressBar(title: title, total: total, logger: logger))
            }
            phase!.done = done
            phase!.bar.update(done)
        }
        // A monitor reading is a line of its own at the epochs trained when measured
        // (0 = before training), with only monitor/* values (RunFolder tells them apart).
        trainer.onMonitor = { [unowned trainer] reading in
            try metrics.record(reading.scalars, step: trainer.globalStep, epoch: reading.epoch)
            for (tag, value) in reading.scalars { try tensorBoard.addScalar(tag, value, step: reading.epoch) }
            try tensorBoard.flush()
            try metrics.flush()
        }
        try await trainer.run(progress: progress) { report in
            try metrics.record(report.scalars, step: report.globalStep, epoch: report.epoch)
            for (tag, value) in report.scalars { try tensorBoard.addScalar(tag, value, step: report.epoch) }
            // Per optimizer step, at the global step it ended on.
            let firstStep = report.globalStep - report.update.steps.count
            for (offset, step) in report.update.steps.enumerated() {
                let globalStep = firstStep + offset + 1
                try tensorBoard.addScalar("step/loss", step.loss, step: globalStep)
                try tensorBoard.addScalar("step/approx_kl", step.approxKL, step: globalStep)
                try tensorBoard.addScalar("step/clipfrac", step.clipFraction, step: globalStep)
                try tensorBoard.addScalar("step/grad_norm", step.gradientNorm, step: globalStep)
                try tensorBoard.addScalar("step/learning_rate", trainer.configuration.train.learningRate, step: globalStep)
            }
            try tensorBoard.addHistogram("rewards", values: report.rewards, step: report.epoch)
            try tensorBoard.addHistogram("advantages", values: report.advantages, step: report.epoch)
            for task in report.tasks {
                try tensorBoard.addHistogram("rewards/\(task.name)", values: task.rewards, step: report.epoch)
                try tensorBoard.addHistogram("advantages/\(task.name)", values: task.advantages, step: report.epoch)
            }
            if !report.images.isEmpty {
                try tensorBoard.addImage("samples", ImageGrid.tile(report.images, columns: 4), step: report.epoch)
            }
            try tensorBoard.flush()
            try metrics.flush()
            var metadata: Logger.Metadata = [
                "epoch": "\(report.epoch + 1)/\(trainer.configuration.epochs)",
                "reward_mean": "\(String(format: "%.5f", report.rewardMean))",
                "reward_std": "\(String(format: "%.5f", report.rewardStd))",
                "approx_kl": "\(String(format: "%.3g", report.update.approxKL))",
                "clipfrac": "\(String(format: "%.3f", report.update.clipFraction))",
            ]
            for task in report.tasks {
                metadata["reward_mean/\(task.name)"] = "\(String(format: "%.5f", task.rewardMean))"
            }
            logger.info("epoch", metadata: metadata)
        }
        try tensorBoard.close()
        try metrics.close()
    }

    /// A report that cannot be written is logged, not fatal: the run's own files are saved.
    private static func writeReport(_ directory: URL, logger: Logger) {
        do {
            let url = try RunReport.write(runDirectory: directory)
            logger.info("report", metadata: ["file": "\(url.path)"])
        } catch {
            logger.error("could not write the report (ddpo report \(directory.path) retries): \(error)")
        }
    }
}
