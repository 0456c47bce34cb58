import DiffusionModels
import Files
import Foundation
import ImageCodecs
import Logging
import Pretraining
import Rewards
import RunLogging
import Torch
import TorchNN

/// A DDPO run: loads the model, samples each epoch's trajectories, scores them
/// (rewards overlap the next sampling batch), computes advantages, updates the
/// policy, logs metrics and writes checkpoints (docs/algorithm.md §7).
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let runDirectory: URL
    public let model: StableDiffusion
    public private(set) var epoch = 0
    public private(set) var globalStep = 0
    let sampler: TrajectorySampler
    /// The base model for the KL penalty (`train.kl_weight` > 0) and the monitors'
    /// KL to base (`monitor.every` > 0). Built for the monitors alone too: full
    /// fine-tuning then holds a second, frozen UNet just to measure that KL.
    let klReference: KLReference?
    /// The over-optimisation monitors (`Trainer+Monitor`), one per task, when
    /// `monitor.every` > 0; their held-out rewards so far, in the same order.
    let monitors: [OverOptimisationMonitor]
    var monitorHistories: [MonitorHistory]
    /// Sees each monitor reading after the run log has it, before the stop rule is applied.
    public var onMonitor: ((MonitorReading) throws -> Void)?
    /// The run's tasks (`tasks:`, or the one of `prompt` and `reward`), each with its
    /// own prompts, reward and advantage statistics.
    var tasks: [TrainingTask]
    /// The data of the pretraining loss (`train.pretrain_data`); nil when the loss is off.
    let pretrainingDataset: (any PretrainingDataset)?
    let optimizer: AdamW
    let checkpoints: CheckpointStore
    /// metrics.jsonl and the TensorBoard events of the run folder (`Trainer+RunLog`);
    /// nil on the ranks other than 0, which write nothing.
    let runLog: RunLog?
    /// This process's place in a data-parallel run (`DataParallel.single`: alone).
    public let dataParallel: DataParallel
    /// The workers and intra-op threads this run uses on this machine (`workers` and
    /// `threads` of the configuration, null ones chosen by `ThreadingPlan`).
    public let threading: ThreadingPlan
    let logger: Logger
    /// Rank 0's lock of the run folder (`<run>/.lock`), from `init` until `run` ends
    /// (or the trainer goes); nil on the other ranks.
    var runFolderLock: RunFolderLock?
    /// Per task, the epochs in a row in which every sample was dropped (`Trainer+AllDropped`).
    var allDroppedInARow: [Int] = []

    /// Prepares a run from a validated configuration; resumes from the newest
    /// checkpoint of the run folder when `configuration.resume` is set. The names the
    /// configuration uses (rewards, prompt sets, pretraining data) come from `catalogue`.
    /// In a data-parallel run every rank builds its trainer with its `dataParallel`;
    /// rank 0 alone checks and writes the run folder, the others wait for it.
    ///
    /// Rank 0 locks the run folder (`RunFolderLock`): a second trainer on it stops
    /// with an error naming the first's PID. A resume checks the newest checkpoint
    /// against its manifest and refuses a damaged one, naming the file and the newest
    /// intact checkpoint; with `resumeFromLastGood` it sets the damaged ones aside and
    /// continues from that one. metrics.jsonl is rewound to the checkpoint's epoch.
    public init(
        configuration: TrainingConfiguration, catalogue: Catalogue = .standard,
        dataParallel: DataParallel = .single, resumeFromLastGood: Bool = false, logger: Logger
    ) throws {
        var configuration = try configuration.validate(catalogue: catalogue)
        // The default run name is the local time when the configuration was read, which
        // differs between ranks: every rank takes rank 0's, so all name one folder.
        configuration.runName = try dataParallel.allGather([configuration.runName], "agreeing on the run name")[0]
        // A GPU that is not there (no CUDA in this torch install, too few devices) is a
        // configuration error, reported before anything is loaded.
        do { try configuration.torchDevice().checkAvailable() } catch let error as TorchError {
            throw ConfigurationError(field: "device", message: error.description)
        }
        self.configuration = configuration
        self.dataParallel = dataParallel
        self.logger = logger
        runDirectory = configuration.resume.map { URL(fileURLWithPath: $0) } ?? configuration.runDirectory
        tasks = try TrainingTask.make(configuration: configuration, catalogue: catalogue)
        for index in tasks.indices {
            if let human = tasks[index].reward.base as? HumanPreferenceReward {
                guard !dataParallel.isDistributed else {
                    throw ConfigurationError(
                        field: "reward",
                        message: "'human' labels are given to one process; run it without torchrun / --processes")
                }
                tasks[index].humanLabels = HumanLabelWait(runDirectory: runDirectory, reward: human, logger: logger)
            }
        }

        model = try StableDiffusion.load(
            directory: URL(fileURLWithPath: configuration.model),
            dtype: try configuration.torchDType(), device: try configuration.torchDevice())
        // Chosen for the UNet's size (`ThreadingPlan`), before anything heavy runs.
        threading = try configuration.threadingPlan(modelParameters: model.unet.parameterCount())
        if let threads = threading.threads { Runtime.threadCount = threads }
        Self.warnIfOversubscribed(workers: threading.workers, logger: logger)
        model.textEncoder.freeze()
        model.vae.freeze()
        if configuration.useLoRA {
            try applyLoRA(
                to: model.unet, targets: Set(configuration.lora.targets), rank: configuration.lora.rank,
                alpha: configuration.lora.alpha,
                generator: Generator(seed: RunSeeds.seed(configuration.seed, epoch: 0, purpose: .initialization)))
        } else {
            model.unet.unfreeze()
        }
        sampler = TrajectorySampler(model: model, autocast: configuration.mixedPrecision.autocastDType)
        let train = configuration.train
        klReference =
            train.klWeight > 0 || train.algorithm.needsReference || configuration.monitor.isOn
            ? try Self.klReference(for: model, configuration: configuration) : nil
        monitors = try Self.makeMonitors(
            configuration: configuration, sampler: sampler, tasks: tasks,
            catalogue: catalogue, klReference: klReference, workers: threading.workers)
        monitorHistories = monitors.map { _ in MonitorHistory() }
        pretrainingDataset =
            train.pretrainLossWeight > 0
            ? try catalogue.pretrainingDataset(named: train.pretrainData) : nil
        optimizer = AdamW(
            parameters: model.unet.trainableParameters(),
            configuration: .init(
                learningRate: train.learningRate, beta1: train.adamBeta1, beta2: train.adamBeta2,
                epsilon: train.adamEpsilon, weightDecay: train.adamWeightDecay))
        checkpoints = CheckpointStore(runDirectory: runDirectory, kept: configuration.checkpointsKept)
        var resumePoint: ResumePoint?
        if dataParallel.isMain {
            try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
            runFolderLock = try RunFolderLock(folder: runDirectory)
            if configuration.resume == nil {
                try Self.checkUnused(runDirectory: runDirectory, checkpoints: checkpoints)
            } else {
                // Before the run log opens metrics.jsonl: it is rewound to the checkpoint.
                let point = try checkpoints.resumePoint(fallBackToLastGood: resumeFromLastGood)
                try Self.rewindMetrics(of: runDirectory, to: point.checkpoint?.state.epoch ?? 0, logger: logger)
                resumePoint = point
            }
            runLog = try RunLog(directory: runDirectory)
            try recordRunStart(epoch: resumePoint?.checkpoint?.state.epoch ?? 0)
            if configuration.resume == nil {
                try AtomicFile.write(
                    path: runDirectory.appendingPathComponent("config.yaml").path,
                    bytes: Array(configuration.yamlString().utf8))
            }
        } else {
            runLog = nil
        }
        try dataParallel.barrier("waiting for rank 0 to prepare the run folder")
        if configuration.resume != nil {
            // The other ranks choose after rank 0 has set any damaged checkpoint aside, so all take the same.
            try restore(resumePoint ?? checkpoints.resumePoint(fallBackToLastGood: resumeFromLastGood))
        }
    }

    var trainableKind: String { configuration.useLoRA ? "lora" : "full" }

    private func trainableWeights() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: optimizer.parameters.map { ($0.name, $0.tensor.detached()) })
    }

    /// metrics.jsonl without the lines of the epochs a resume from `epoch` trains again (`MetricsRewind`).
    private static func rewindMetrics(of runDirectory: URL, to epoch: Int, logger: Logger) throws {
        let metrics = runDirectory.appendingPathComponent(RunLog.metricsFileName)
        let removed = try MetricsRewind.rewind(file: metrics, toEpoch: epoch)
        if removed > 0 {
            logger.info(
                "metrics.jsonl rewound to the checkpoint: the lines of the epochs trained again are removed",
                metadata: ["epoch": "\(epoch)", "lines_removed": "\(removed)"])
        }
    }

    private func restore(_ point: ResumePoint) throws {
        if dataParallel.isMain {
            for (movedTo, problem) in point.setAside {
                logger.warning(
                    "a damaged checkpoint was set aside (--resume-from-last-good); its epochs are trained again",
                    metadata: ["problem": "\(problem)", "moved_to": "\(movedTo.path)"])
            }
        }
        guard let checkpoint = point.checkpoint else {
            logger.info("no checkpoint yet; starting at epoch 0", metadata: ["run": "\(runDirectory.path)"])
            return
        }
        if !checkpoint.hasManifest && dataParallel.isMain {
            logger.warning(
                "the checkpoint has no manifest.json (written by an older version): its files cannot be checked",
                metadata: ["checkpoint": "\(checkpoint.directory.path)"])
        }
        guard checkpoint.state.trainable == trainableKind else {
            throw CheckpointError(
                path: checkpoint.directory.path,
                reason:
                    "holds \(checkpoint.state.trainable) weights but the configuration trains \(trainableKind)")
        }
        do {
            if configuration.useLoRA {
                try model.unet.loadLoRA(parameters: checkpoint.trainableWeights)
            } else {
                try model.unet.load(parameters: checkpoint.trainableWeights)
            }
        } catch {
            throw CheckpointError(path: checkpoint.directory.path, reason: "weights do not fit the model: \(error)")
        }
        try optimizer.loadState(checkpoint.optimizerState)
        let savedWorldSize = checkpoint.state.worldSize ?? 1
        if savedWorldSize != dataParallel.worldSize && dataParallel.isMain {
            // Weights, optimizer and advantage statistics do not depend on the world size,
            // so the run goes on; but an epoch now has a different number of samples and
            // optimizer steps, so what follows is not what the interrupted run would have done.
            logger.warning(
                """
                resuming a run of \(savedWorldSize) process(es) on \(dataParallel.worldSize): each epoch now \
                samples \(dataParallel.worldSize) × sample.num_batches_per_epoch batches (was \(savedWorldSize) ×) \
                and each optimizer step averages \(dataParallel.worldSize) ranks' gradients, so the remaining \
                epochs differ from an uninterrupted run's (resume with \(savedWorldSize) process(es) to continue it exactly)
                """, metadata: ["checkpoint": "\(checkpoint.directory.path)"])
        }
        try restoreStatTrackers(checkpoint)
        epoch = checkpoint.state.epoch
        globalStep = checkpoint.state.globalStep
        restoreMonitorHistories(checkpoint)
        logger.info("resumed", metadata: ["checkpoint": "\(checkpoint.directory.path)", "epoch": "\(epoch)"])
    }

    /// Each task's per-prompt buffers; a multi-task checkpoint must hold every task's.
    private func restoreStatTrackers(_ checkpoint: Checkpoint) throws {
        guard configuration.isMultiTask else {
            tasks[0].estimator.statTracker = try PerPromptStatTracker(state: checkpoint.state.statTracker)
            return
        }
        for index in tasks.indices {
            guard let state = checkpoint.state.taskStatTrackers?[tasks[index].name] else {
                throw CheckpointError(
                    path: checkpoint.directory.path,
                    reason:
                        "holds no advantage statistics of task '\(tasks[index].name)' (a run with other tasks?)")
            }
            tasks[index].estimator.statTracker = try PerPromptStatTracker(state: state)
        }
    }

    /// Writes a checkpoint of the current state (and the LoRA export): rank 0 writes,
    /// every rank waits until it has, so none reads a half-written checkpoint.
    public func saveCheckpoint() throws {
        if dataParallel.isMain { try writeCheckpoint() }
        try dataParallel.barrier("waiting for rank 0 to write the checkpoint of epoch \(epoch)")
    }

    private func writeCheckpoint() throws {
        var state = CheckpointState(
            epoch: epoch, globalStep: globalStep,
            statTracker: tasks[0].estimator.statTracker.state, trainable: trainableKind,
            monitor: configuration.isMultiTask ? nil : monitorHistories.first,
            taskStatTrackers: configuration.isMultiTask
                ? Dictionary(
                    uniqueKeysWithValues:
                        tasks.map { ($0.name, $0.estimator.statTracker.state) }) : nil,
            taskMonitors: taskMonitorHistories)
        state.worldSize = dataParallel.isDistributed ? dataParallel.worldSize : nil
        let url = try checkpoints.save(
            state: state, trainableWeights: trainableWeights(),
            optimizerState: optimizer.stateTensors())
        if configuration.useLoRA {
            try LoRAExport.write(unet: model.unet, to: runDirectory.appendingPathComponent("lora"))
        }
        logger.info("checkpoint saved", metadata: ["path": "\(url.path)"])
    }

    /// Runs the remaining epochs, logging each epoch and monitor reading to the run
    /// folder (metrics.jsonl, TensorBoard); `onEpoch` then sees each epoch's report (and
    /// `onMonitor` each monitor reading), `progress` each phase's progress (phase
    /// name, done, total). An early stop of the monitors ends the run like its last epoch.
    public func run(
        progress: ((String, Int, Int) -> Void)? = nil,
        onEpoch: ((EpochReport) throws -> Void)? = nil
    ) async throws {
        if dataParallel.isMain && runFolderLock?.isHeld != true {
            runFolderLock = try RunFolderLock(folder: runDirectory)
        }
        // Another trainer (or a resume) may use the folder once this run is over.
        defer { runFolderLock?.release() }
        var epochsRun = 0
        if epoch == 0 {
            if dataParallel.isMain { try await evaluate() }
            _ = try await monitorIfDue()
        } else if stoppedEarly {
            logger.warning(
                "the run stopped early (monitor.stop_after_falls); nothing to resume",
                metadata: ["epoch": "\(epoch)"])
            return
        }
        while epoch < configuration.epochs {
            let report = try await runEpoch(progress: progress)
            epoch += 1
            epochsRun += 1
            if dataParallel.isMain {
                try log(report)
                try onEpoch?(report)
            }
            try checkAllDropped(report)
            let stop = try await monitorIfDue()
            let isLast = epoch == configuration.epochs || stop
            if isLast && dataParallel.isMain { try await evaluate() }
            if epoch % configuration.saveFrequency == 0 || isLast { try saveCheckpoint() }
            if stop { break }
        }
        try checkTrainedSomething(epochsRun: epochsRun)
    }

    /// Fixed prompts and noise, drawn the same way at every evaluation (a draw far
    /// from any training epoch), so "before" and "after" show the same samples.
    static let evaluationEpoch = 1_000_000

    public var evaluationDirectory: URL { runDirectory.appendingPathComponent("evaluations") }

    /// Where a task's evaluations go: `evaluations/` in a single-task run,
    /// `evaluations/<task>/` in a multi-task one.
    public func evaluationDirectory(task: String) -> URL {
        configuration.isMultiTask ? evaluationDirectory.appendingPathComponent(task) : evaluationDirectory
    }

    /// Samples and scores each task's fixed evaluation prompts (its own prompts,
    /// noise and reward); writes `epoch-NNNNNN.{png,json}` in its evaluation folder.
    /// Returns one evaluation per task, in task order.
    @discardableResult
    public func evaluate() async throws -> [Evaluation] {
        let sample = configuration.sample
        var evaluations: [Evaluation] = []
        // Human labels compare pairs during training; they cannot score held-out images.
        for task in tasks where task.humanLabels == nil {
            let evaluationPrompts = task.prompts.prompts(
                epoch: Self.evaluationEpoch, batch: 0,
                batchSize: configuration.evaluationImages)
            let (evaluation, images) = try await Evaluation.run(
                model: model, prompts: evaluationPrompts,
                seed: RunSeeds.seed(task.seed, epoch: Self.evaluationEpoch, purpose: .sampling),
                options: sample.samplingOptions,
                reward: task.reward, epoch: epoch, batchSize: sample.batchSize)
            try evaluation.write(images: images, to: evaluationDirectory(task: task.name))
            logger.info(
                "evaluation",
                metadata: [
                    "epoch": "\(epoch)", "task": "\(task.name)",
                    "mean_reward": "\(ReadableNumber.text(evaluation.meanReward))"
                ])
            try log(evaluation, task: configuration.isMultiTask ? task.name : nil)
            evaluations.append(evaluation)
        }
        return evaluations
    }

    /// One epoch: each task samples, scores and computes its advantages; then the
    /// policy update(s) (`updatePolicy`). In a data-parallel run this process samples
    /// its share of the epoch's batches and trains on its own samples; the report
    /// shows the whole epoch's rewards and advantages (every rank's).
    public func runEpoch(progress: ((String, Int, Int) -> Void)? = nil) async throws -> EpochReport {
        let sample = configuration.sample
        let options = sample.trainingSamplingOptions
        let collectivesBefore = (dataParallel.collectiveSeconds, dataParallel.gradientAllReduceSeconds)
        var epochs: [TaskEpoch] = []
        for index in tasks.indices {
            let label = configuration.isMultiTask ? "sampling \(tasks[index].name)" : "sampling"
            var taskEpoch = try await tasks[index].sampleEpoch(
                epoch: epoch, sampler: sampler, options: options, batchSize: sample.batchSize,
                batches: sample.numBatchesPerEpoch, firstBatch: dataParallel.rank * sample.numBatchesPerEpoch,
                workers: threading.workers, label: label, progress: progress)
            try tasks[index].estimateAdvantages(&taskEpoch, across: dataParallel)
            epochs.append(taskEpoch)
        }

        let trainingStart = Date()
        let (update, perTask) = try updatePolicy(epochs, progress: progress)
        globalStep += update.optimizerSteps
        let whole = epochs.map(\.wholeEpoch)
        var report = EpochReport(
            epoch: epoch, globalStep: globalStep, prompts: whole.flatMap(\.prompts),
            rewards: whole.flatMap(\.rewards), advantages: whole.flatMap(\.advantages),
            droppedSamples: whole.map(\.droppedSamples).reduce(0, +), update: update,
            samplingSeconds: epochs.map(\.samplingSeconds).reduce(0, +),
            rewardWaitSeconds: epochs.map(\.rewardWaitSeconds).reduce(0, +),
            trainingSeconds: Date().timeIntervalSince(trainingStart), images: Array(epochs.flatMap(\.images).prefix(16))
        )
        // Each image's own prompt and reward, for the captioned sample grid.
        report.imagePrompts = Array(epochs.flatMap(\.scoredPrompts).prefix(report.images.count))
        report.imageRewards = Array(epochs.flatMap(\.scoredRewards).prefix(report.images.count))
        if dataParallel.isDistributed {
            report.collectiveSeconds = dataParallel.collectiveSeconds - collectivesBefore.0
            report.gradientAllReduceSeconds = dataParallel.gradientAllReduceSeconds - collectivesBefore.1
        }
        let batchValues = whole.flatMap(\.batchValues)
        report.rewardBatchValue = batchValues.isEmpty ? nil : batchValues.reduce(0, +) / Double(batchValues.count)
        if configuration.isMultiTask {
            report.tasks = tasks.indices.map { index in
                TaskEpochReport(
                    name: tasks[index].name, weight: tasks[index].weight,
                    rewards: whole[index].rewards, advantages: whole[index].advantages,
                    droppedSamples: whole[index].droppedSamples, update: perTask?[index])
            }
        }
        return report
    }
}
