import ArgumentParser
import DDPO
import Foundation
import Logging
import Reports
import ShapesWorld

struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a diffusion model with DDPO (or RWR) against a reward.",
        usage: "ddpo train (--config <config> | --resume <resume>) [<options>]",
        discussion: """
            Writes runs/<run_name>/: config.yaml, run.json, metrics.jsonl, TensorBoard events, checkpoints/, \
            lora/pytorch_lora_weights.safetensors (diffusers' load_lora_weights format), evaluations/ (fixed \
            prompts before and after training) and, when it stops, report.html. Resume an interrupted run with \
            --resume runs/<run_name>. ddpo config --check FILE checks a configuration without training.

            Data parallel: --nproc N starts N processes on this machine; under torchrun, Slurm or Kubernetes \
            each process reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT (docs/distributed.md).
            """)

    @Option(help: "YAML configuration file (see configs/).")
    var config: String?

    @Option(name: .customLong("set"), help: "Override a field, e.g. --set train.learning_rate=1e-4 (repeatable).")
    var overrides: [String] = []

    @Option(help: "Continue the run in this folder from its newest checkpoint (uses its config.yaml).")
    var resume: String?

    @Flag(
        help: """
            With --resume: when the newest checkpoint is damaged, set it aside and continue \
            from the newest intact one (without it, such a resume stops and names both).
            """)
    var resumeFromLastGood = false

    @Option(help: "Start this many data-parallel processes on this machine (like torchrun --nproc-per-node).")
    var nproc: Int?

    func validate() throws {
        guard config != nil || resume != nil else { throw ValidationError("give --config FILE or --resume RUN_DIR") }
        if resumeFromLastGood && resume == nil {
            throw ValidationError("--resume-from-last-good needs --resume RUN_DIR")
        }
        if let nproc {
            guard (1...1024).contains(nproc) else { throw ValidationError("--nproc must be 1...1024, got \(nproc)") }
            if nproc > 1 && ProcessInfo.processInfo.environment["RANK"] != nil {
                throw ValidationError(
                    "--nproc starts its own ranks, but RANK is already set (this process was "
                        + "launched as one rank by torchrun or similar): drop --nproc")
            }
        }
    }

    func run() async throws {
        var logger = Logs.logger("ddpo.train")
        if let nproc, nproc > 1 {
            try LocalLauncher.run(processes: nproc, arguments: Self.argumentsWithoutNproc(), logger: logger)
            return
        }
        let launch = try LaunchEnvironment.read(ProcessInfo.processInfo.environment)
        var configuration: TrainingConfiguration
        if let resume {
            configuration = try TrainingConfiguration.load(
                yaml: URL(fileURLWithPath: resume).appendingPathComponent("config.yaml"), overrides: overrides)
            configuration.resume = resume
        } else {
            configuration = try TrainingConfiguration.load(yaml: URL(fileURLWithPath: config!), overrides: overrides)
        }
        var dataParallel = DataParallel.single
        if let launch, launch.worldSize > 1 {
            logger[metadataKey: "rank"] = "\(launch.rank)"
            // One GPU per rank: "cuda" means this machine's LOCAL_RANK-th.
            if configuration.device == "cuda" { configuration.device = "cuda:\(launch.localRank)" }
            dataParallel = try DataParallel(joining: launch, timeout: .seconds(configuration.distributedTimeout))
        }
        try await Self.train(
            configuration, dataParallel: dataParallel, resumeFromLastGood: resumeFromLastGood, logger: logger)
    }

    /// This command's arguments with `--nproc N` / `--nproc=N` taken out: what each rank runs.
    static func argumentsWithoutNproc() -> [String] {
        var arguments: [String] = []
        var skipNext = false
        for argument in CommandLine.arguments.dropFirst() {
            if skipNext {
                skipNext = false
            } else if argument == "--nproc" {
                skipNext = true
            } else if !argument.hasPrefix("--nproc=") {
                arguments.append(argument)
            }
        }
        return arguments
    }

    /// Runs (or resumes) one training run with progress bars, a log line per epoch
    /// and, however it ends, its report (the trainer itself writes metrics.jsonl and
    /// the TensorBoard events).
    /// In a data-parallel run every rank calls this; rank 0 alone shows progress,
    /// logs the epochs and writes the report.
    static func train(
        _ configuration: TrainingConfiguration, dataParallel: DataParallel = .single,
        resumeFromLastGood: Bool = false, logger: Logger
    ) async throws {
        let trainer = try Trainer(
            configuration: configuration, catalogue: .withShapesWorld(model: configuration.model),
            dataParallel: dataParallel, resumeFromLastGood: resumeFromLastGood, logger: logger)
        let directory = trainer.runDirectory
        let isMain = dataParallel.isMain
        // Also when training fails: what the run did so far is worth a report.
        defer { if isMain { writeReport(directory, logger: logger) } }
        guard isMain else {
            try await trainer.run(progress: { _, _, _ in }) { _ in }
            return
        }
        logger.info(
            "run",
            metadata: [
                "directory": "\(directory.path)", "start_epoch": "\(trainer.epoch)",
                "epochs": "\(trainer.configuration.epochs)", "workers": "\(trainer.threading.workers)",
                "threads": "\(trainer.threading.threads.map(String.init) ?? "libtorch's")"
            ])
        let progress = RunProgress(
            startEpoch: trainer.epoch, plannedEpochs: trainer.configuration.epochs, logger: logger)
        try await trainer.run(progress: progress.phaseProgress, onEpoch: progress.epochFinished)
        for line in RunProgress.summaryLines(runDirectory: directory) { logger.info("\(line)") }
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
