import DiffusionModels
import Foundation
import ImageCodecs
import Logging
import Rewards
import Torch
import TorchNN

/// A DDPO run: loads the model, samples each epoch's trajectories, scores them
/// (rewards overlap the next sampling batch), computes advantages, updates the
/// policy, logs metrics and writes checkpoints (ALGORITHM.md §2, "One epoch").
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
    /// Sees each monitor reading (`ddpo train` logs them), before the stop rule is applied.
    public var onMonitor: ((MonitorReading) throws -> Void)?
    /// The run's tasks (`tasks:`, or the one of `prompt` and `reward`), each with its
    /// own prompts, reward and advantage statistics.
    var tasks: [TrainingTask]
    let optimizer: AdamW
    let checkpoints: CheckpointStore
    let logger: Logger

    /// Prepares a run from a validated configuration; resumes from the newest
    /// checkpoint of the run folder when `configuration.resume` is set.
    public init(configuration: TrainingConfiguration, rewards: RewardRegistry = .standard, logger: Logger) throws {
        let configuration = try configuration.validate(knownRewards: Set(rewards.names))
        // A GPU that is not there (no CUDA in this torch install, too few devices) is a
        // configuration error, reported before anything is loaded.
        do { try configuration.torchDevice().checkAvailable() } catch let error as TorchError {
            throw ConfigurationError(field: "device", message: error.description)
        }
        self.configuration = configuration
        self.logger = logger
        if let threads = configuration.threads { Runtime.threadCount = threads }
        Self.warnIfOversubscribed(workers: configuration.workers, logger: logger)
        runDirectory = configuration.resume.map { URL(fileURLWithPath: $0) } ?? configuration.runDirectory
        tasks = try TrainingTask.make(configuration: configuration, rewards: rewards)

        model = try StableDiffusion.load(directory: URL(fileURLWithPath: configuration.model),
                                         dtype: try configuration.torchDType(), device: try configuration.torchDevice())
        model.textEncoder.freeze()
        model.vae.freeze()
        if configuration.useLoRA {
            try applyLoRA(to: model.unet, targets: Set(configuration.lora.targets), rank: configuration.lora.rank,
                          alpha: configuration.lora.alpha,
                          generator: Generator(seed: RunSeeds.seed(configuration.seed, epoch: 0, purpose: .initialization)))
        } else {
            model.unet.unfreeze()
        }
        sampler = TrajectorySampler(model: model, autocast: configuration.mixedPrecision.autocastDType)
        let train = configuration.train
        klReference = train.klWeight > 0 || configuration.monitor.isOn
            ? try Self.klReference(for: model, configuration: configuration) : nil
        monitors = try Self.makeMonitors(configuration: configuration, sampler: sampler, tasks: tasks,
                                         rewards: rewards, klReference: klReference)
        monitorHistories = monitors.map { _ in MonitorHistory() }
        optimizer = AdamW(parameters: model.unet.trainableParameters(), configuration: .init(
            learningRate: train.learningRate, beta1: train.adamBeta1, beta2: train.adamBeta2,
            epsilon: train.adamEpsilon, weightDecay: train.adamWeightDecay))
        checkpoints = CheckpointStore(runDirectory: runDirectory, kept: configuration.checkpointsKept)
        if configuration.resume == nil {
            try Self.checkUnused(runDirectory: runDirectory, checkpoints: checkpoints)
        }
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        if configuration.resume != nil {
            try restoreLatestCheckpoint()
        } else {
            try AtomicFile.write(path: runDirectory.appendingPathComponent("config.yaml").path,
                                 bytes: Array(configuration.yamlString().utf8))
        }
    }

    var trainableKind: String { configuration.useLoRA ? "lora" : "full" }

    private func trainableWeights() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: optimizer.parameters.map { ($0.name, $0.tensor.detached()) })
    }

    private func restoreLatestCheckpoint() throws {
        guard let checkpoint = try checkpoints.latest() else {
            logger.info("no checkpoint yet; starting at epoch 0", metadata: ["run": "\(runDirectory.path)"])
            return
        }
        guard checkpoint.state.trainable == trainableKind else {
            throw CheckpointError(path: checkpoint.directory.path, reason:
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
                throw CheckpointError(path: checkpoint.directory.path, reason:
                    "holds no advantage statistics of task '\(tasks[index].name)' (a run with other tasks?)")
            }
            tasks[index].estimator.statTracker = try PerPromptStatTracker(state: state)
        }
    }

    /// Writes a checkpoint of the current state (and the LoRA export).
    public func saveCheckpoint() throws {
        let state = CheckpointState(epoch: epoch, globalStep: globalStep,
                                    statTracker: tasks[0].estimator.statTracker.state, trainable: trainableKind,
                                    monitor: configuration.isMultiTask ? nil : monitorHistories.first,
                                    taskStatTrackers: configuration.isMultiTask ? Dictionary(uniqueKeysWithValues:
                                        tasks.map { ($0.name, $0.estimator.statTracker.state) }) : nil,
                                    taskMonitors: taskMonitorHistories)
        let url = try checkpoints.save(state: state, trainableWeights: trainableWeights(),
                                       optimizerState: optimizer.stateTensors())
        if configuration.useLoRA { try LoRAExport.write(unet: model.unet, to: runDirectory.appendingPathComponent("lora")) }
        logger.info("checkpoint saved", metadata: ["path": "\(url.path)"])
    }

    /// Runs the remaining epochs; `onEpoch` sees each epoch's report (and
    /// `onMonitor` each monitor reading), `progress` each phase's progress (phase
    /// name, done, total). An early stop of the monitors ends the run like its last epoch.
    public func run(progress: ((String, Int, Int) -> Void)? = nil,
                    onEpoch: ((EpochReport) throws -> Void)? = nil) async throws {
        if epoch == 0 {
            try await evaluate()
            _ = try await monitorIfDue()
        } else if stoppedEarly {
            logger.warning("the run stopped early (monitor.stop_after_falls); nothing to resume",
                           metadata: ["epoch": "\(epoch)"])
            return
        }
        while epoch < configuration.epochs {
            let report = try await runEpoch(progress: progress)
            epoch += 1
            try onEpoch?(report)
            let stop = try await monitorIfDue()
            let isLast = epoch == configuration.epochs || stop
            if isLast { try await evaluate() }
            if epoch % configuration.saveFrequency == 0 || isLast { try saveCheckpoint() }
            if stop { return }
        }
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
        for task in tasks {
            let evaluationPrompts = task.prompts.prompts(epoch: Self.evaluationEpoch, batch: 0,
                                                         batchSize: configuration.evaluationImages)
            let (evaluation, images) = try await Evaluation.run(
                model: model, prompts: evaluationPrompts,
                seed: RunSeeds.seed(task.seed, epoch: Self.evaluationEpoch, purpose: .sampling),
                options: SamplingOptions(steps: sample.numSteps, guidanceScale: sample.guidanceScale, eta: sample.eta,
                                         height: sample.height, width: sample.width),
                reward: task.reward, epoch: epoch, batchSize: sample.batchSize)
            try evaluation.write(images: images, to: evaluationDirectory(task: task.name))
            logger.info("evaluation", metadata: ["epoch": "\(epoch)", "task": "\(task.name)",
                                                 "mean_reward": "\(evaluation.meanReward)"])
            evaluations.append(evaluation)
        }
        return evaluations
    }

    /// One epoch: each task samples, scores and computes its advantages; then the
    /// policy update(s) (`updatePolicy`).
    public func runEpoch(progress: ((String, Int, Int) -> Void)? = nil) async throws -> EpochReport {
        let sample = configuration.sample
        let options = SamplingOptions(steps: sample.numSteps, guidanceScale: sample.guidanceScale, eta: sample.eta,
                                      height: sample.height, width: sample.width)
        var epochs: [TaskEpoch] = []
        for index in tasks.indices {
            let label = configuration.isMultiTask ? "sampling \(tasks[index].name)" : "sampling"
            var taskEpoch = try await tasks[index].sampleEpoch(
                epoch: epoch, sampler: sampler, options: options, batchSize: sample.batchSize,
                batches: sample.numBatchesPerEpoch, workers: configuration.workers, label: label, progress: progress)
            try tasks[index].estimateAdvantages(&taskEpoch)
            epochs.append(taskEpoch)
        }

        let trainingStart = Date()
        let (update, perTask) = updatePolicy(epochs, progress: progress)
        globalStep += update.optimizerSteps
        var report = EpochReport(
            epoch: epoch, globalStep: globalStep, prompts: epochs.flatMap(\.samples.prompts),
            rewards: epochs.flatMap(\.samples.rewards), advantages: epochs.flatMap(\.samples.advantages),
            droppedSamples: epochs.map(\.droppedSamples).reduce(0, +), update: update,
            samplingSeconds: epochs.map(\.samplingSeconds).reduce(0, +),
            rewardWaitSeconds: epochs.map(\.rewardWaitSeconds).reduce(0, +),
            trainingSeconds: Date().timeIntervalSince(trainingStart), images: Array(epochs.flatMap(\.images).prefix(16)))
        let batchValues = epochs.flatMap(\.batchValues)
        report.rewardBatchValue = batchValues.isEmpty ? nil : batchValues.reduce(0, +) / Double(batchValues.count)
        if configuration.isMultiTask {
            report.tasks = tasks.indices.map { index in
                TaskEpochReport(name: tasks[index].name, weight: tasks[index].weight,
                                rewards: epochs[index].samples.rewards, advantages: epochs[index].samples.advantages,
                                droppedSamples: epochs[index].droppedSamples, update: perTask?[index])
            }
        }
        return report
    }

    func policySettings() -> PolicyUpdateSettings {
        let train = configuration.train
        var settings = PolicyUpdateSettings()
        switch train.algorithm {
        case .ddpoIS: settings.objective = .ddpoIS(clipRange: train.clipRange)
        case .ddpoSF: settings.objective = .ddpoSF
        case .rwr: settings.objective = .rwr(beta: train.rwrBeta)
        case .rwrSparse: settings.objective = .rwrSparse(percentile: train.rwrPercentile)
        }
        settings.batchSize = train.batchSize
        settings.gradientAccumulationSteps = train.gradientAccumulationSteps
        settings.innerEpochs = train.numInnerEpochs
        settings.timestepFraction = train.timestepFraction
        settings.maxGradNorm = train.maxGradNorm
        settings.classifierFreeGuidance = train.cfg
        settings.guidanceScale = configuration.sample.guidanceScale
        settings.eta = configuration.sample.eta
        settings.klWeight = train.klWeight
        settings.pretrainLossWeight = train.pretrainLossWeight
        settings.workers = configuration.workers
        return settings
    }
}
