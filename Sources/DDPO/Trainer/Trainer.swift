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
    /// The over-optimisation monitors (`Trainer+Monitor`), when `monitor.every` > 0.
    let monitor: OverOptimisationMonitor?
    var monitorHistory = MonitorHistory()
    /// Sees each monitor reading (`ddpo train` logs them), before the stop rule is applied.
    public var onMonitor: ((MonitorReading) throws -> Void)?
    let prompts: PromptSampler
    let reward: CheckedReward
    var estimator: AdvantageEstimator
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
        runDirectory = configuration.resume.map { URL(fileURLWithPath: $0) } ?? configuration.runDirectory
        var rewardOptions = configuration.reward.options
        if rewardOptions["non_finite"] == nil { rewardOptions["non_finite"] = configuration.nanRewards.rawValue }
        reward = try rewards.make(RewardConfiguration(name: configuration.reward.name, options: rewardOptions))
        prompts = try PromptSampler(configuration: configuration)

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
        monitor = try Self.makeMonitor(configuration: configuration, sampler: sampler, reward: reward, rewards: rewards,
                                       klReference: klReference)
        optimizer = AdamW(parameters: model.unet.trainableParameters(), configuration: .init(
            learningRate: train.learningRate, beta1: train.adamBeta1, beta2: train.adamBeta2,
            epsilon: train.adamEpsilon, weightDecay: train.adamWeightDecay))
        estimator = AdvantageEstimator(
            strategy: configuration.advantages.strategy, advClipMax: train.advClipMax,
            statTracker: PerPromptStatTracker(bufferSize: configuration.advantages.perPromptBufferSize,
                                              minCount: configuration.advantages.perPromptMinCount))
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

    /// A fresh run must not start in the folder of another: its metrics would mix
    /// with the old ones and a later resume could pick up the old run's checkpoint.
    static func checkUnused(runDirectory: URL, checkpoints: CheckpointStore) throws {
        let metrics = runDirectory.appendingPathComponent("metrics.jsonl")
        guard try checkpoints.checkpoints().isEmpty && !FileManager.default.fileExists(atPath: metrics.path) else {
            throw ConfigurationError(field: "run_name", message:
                "the run folder '\(runDirectory.path)' already holds a run: continue it with"
                + " --resume \(runDirectory.path), or choose another run_name (or delete the folder)")
        }
    }

    /// LoRA: the adapters switched off. Full fine-tuning: the initial UNet loaded a
    /// second time from the model folder and frozen (on resume too, so the reference
    /// stays the pretrained model); it doubles the UNet's parameter memory.
    static func klReference(for model: StableDiffusion, configuration: TrainingConfiguration) throws -> KLReference {
        if configuration.useLoRA { return .adaptersOff }
        let unet = try UNet2DConditionModel.load(
            directory: URL(fileURLWithPath: configuration.model).appendingPathComponent("unet"),
            dtype: model.dtype, device: model.device)
        unet.freeze()
        unet.eval()
        return .frozenCopy(TrajectorySampler(model: StableDiffusion(
            tokenizer: model.tokenizer, textEncoder: model.textEncoder, unet: unet, vae: model.vae,
            scheduler: model.scheduler, device: model.device, dtype: model.dtype, directory: model.directory),
            autocast: configuration.mixedPrecision.autocastDType))
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
        estimator.statTracker = try PerPromptStatTracker(state: checkpoint.state.statTracker)
        epoch = checkpoint.state.epoch
        globalStep = checkpoint.state.globalStep
        monitorHistory = checkpoint.state.monitor ?? MonitorHistory()
        logger.info("resumed", metadata: ["checkpoint": "\(checkpoint.directory.path)", "epoch": "\(epoch)"])
    }

    /// Writes a checkpoint of the current state (and the LoRA export).
    public func saveCheckpoint() throws {
        let state = CheckpointState(epoch: epoch, globalStep: globalStep, statTracker: estimator.statTracker.state,
                                    trainable: trainableKind, monitor: monitor != nil ? monitorHistory : nil)
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

    /// Samples and scores the fixed evaluation prompts; writes `evaluations/epoch-NNNNNN.{png,json}`.
    @discardableResult
    public func evaluate() async throws -> Evaluation {
        let sample = configuration.sample
        let evaluationPrompts = prompts.prompts(epoch: Self.evaluationEpoch, batch: 0, batchSize: configuration.evaluationImages)
        let (evaluation, images) = try await Evaluation.run(
            model: model, prompts: evaluationPrompts,
            seed: RunSeeds.seed(configuration.seed, epoch: Self.evaluationEpoch, purpose: .sampling),
            options: SamplingOptions(steps: sample.numSteps, guidanceScale: sample.guidanceScale, eta: sample.eta,
                                     height: sample.height, width: sample.width),
            reward: reward, epoch: epoch, batchSize: sample.batchSize)
        try evaluation.write(images: images, to: evaluationDirectory)
        logger.info("evaluation", metadata: ["epoch": "\(epoch)", "mean_reward": "\(evaluation.meanReward)"])
        return evaluation
    }

    /// One epoch: sample, score, compute advantages, update.
    public func runEpoch(progress: ((String, Int, Int) -> Void)? = nil) async throws -> EpochReport {
        let sample = configuration.sample
        let options = SamplingOptions(steps: sample.numSteps, guidanceScale: sample.guidanceScale, eta: sample.eta,
                                      height: sample.height, width: sample.width)
        let generator = Generator(seed: RunSeeds.seed(configuration.seed, epoch: epoch, purpose: .sampling))
        var trajectories: [Trajectory] = []
        var pending: [Task<RewardBatch, Error>] = []
        var images: [RGBImage] = []  // the 8-bit images the reward saw, reused for the image logs
        let samplingStart = Date()
        var rewardWait = 0.0
        for batch in 0..<sample.numBatchesPerEpoch {
            let batchPrompts = prompts.prompts(epoch: epoch, batch: batch, batchSize: sample.batchSize)
            let trajectory = sampler.sample(prompts: batchPrompts, options: options, generator: generator) { done, total in
                progress?("sampling batch \(batch + 1)/\(sample.numBatchesPerEpoch)", done, total)
            }
            trajectories.append(trajectory)
            let input = RewardInput(images: trajectory.images, prompts: batchPrompts)
            images += input.images
            let reward = self.reward
            if reward.usesLibtorch {
                // A libtorch reward must not overlap sampling (one OpenMP pool, DESIGN.md): score it now.
                let start = Date()
                let scored = try await reward.score(input)
                rewardWait += Date().timeIntervalSince(start)
                pending.append(Task { scored })
            } else {
                pending.append(Task { try await reward.score(input) })
            }
        }
        let waitStart = Date()
        var scored = RewardBatch(rewards: [])
        var batchValues: [Double] = []  // V(B) of each sampling batch, for distribution-level rewards
        for task in pending {
            let batch = try await task.value
            if let value = batch.batchValue { batchValues.append(value) }
            scored.dropped += batch.dropped.map { $0 + scored.rewards.count }
            scored.rewards += batch.rewards
            scored.info += batch.info
        }
        rewardWait += Date().timeIntervalSince(waitStart)
        let samplingSeconds = Date().timeIntervalSince(samplingStart) - rewardWait

        let allPrompts = trajectories.flatMap(\.prompts)
        let kept = scored.keptIndices
        let keptPrompts = kept.map { allPrompts[$0] }
        let keptRewards = scored.keptRewards
        let advantages = try estimator.estimate(rewards: keptRewards, prompts: keptPrompts).advantages
        var samples = EpochSamples(trajectories: trajectories, rewards: scored.rewards.map { $0.isFinite ? $0 : 0 },
                                   advantages: Array(repeating: 0, count: allPrompts.count))
        samples = samples.selecting(kept)
        samples.advantages = advantages

        let trainingStart = Date()
        let train = configuration.train
        let pretraining = train.pretrainLossWeight > 0
            ? PretrainingLoss(model: model, dataset: train.pretrainData.dataset(), batchSize: train.pretrainBatchSize,
                              seed: RunSeeds.seed(configuration.seed, epoch: epoch, purpose: .pretraining))
            : nil
        let update = PolicyUpdate(sampler: sampler, optimizer: optimizer, settings: policySettings(),
                                  inferenceSteps: sample.numSteps, klReference: klReference, pretraining: pretraining)
            .run(on: samples, generator: Generator(seed: RunSeeds.seed(configuration.seed, epoch: epoch, purpose: .training))) {
                progress?("training", $0, $1)
            }
        globalStep += update.optimizerSteps
        var report = EpochReport(epoch: epoch, globalStep: globalStep, prompts: keptPrompts, rewards: keptRewards,
                           advantages: advantages, droppedSamples: scored.droppedCount, update: update,
                           samplingSeconds: samplingSeconds, rewardWaitSeconds: rewardWait,
                           trainingSeconds: Date().timeIntervalSince(trainingStart), images: Array(images.prefix(16)))
        report.rewardBatchValue = batchValues.isEmpty ? nil : batchValues.reduce(0, +) / Double(batchValues.count)
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
        return settings
    }
}
