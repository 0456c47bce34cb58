import DiffusionModels
import Foundation
import Schedulers
import Torch

extension TrainingConfiguration {
    /// Checks the values against each other and against what the trainer can do,
    /// throwing a `ConfigurationError` that names the first offending field.
    /// Returns the configuration, so `try load(...).validate(...)` reads as one step.
    ///
    /// - Parameter catalogue: the rewards, prompt sets and pretraining data a name
    ///   may refer to; passed in so that the configuration does not depend on them.
    @discardableResult
    public func validate(catalogue: Catalogue) throws -> TrainingConfiguration {
        let knownRewards = Set(catalogue.rewards.names)
        func fail(_ field: String, _ message: String) -> ConfigurationError {
            ConfigurationError(field: field, message: message)
        }
        func require(_ condition: Bool, _ field: String, _ message: @autoclosure () -> String) throws {
            if !condition { throw fail(field, message()) }
        }
        func atLeastOne(_ value: Int, _ field: String) throws {
            try require(value >= 1, field, "must be at least 1, got \(value)")
        }
        func positive(_ value: Double, _ field: String) throws {
            try require(value > 0 && value.isFinite, field, "must be > 0, got \(value)")
        }

        // Run.
        try require(
            !runName.isEmpty && !runName.contains("/") && runName != "." && runName != "..",
            "run_name", "must be a folder name (not empty, no '/'), got '\(runName)'")
        try atLeastOne(epochs, "epochs")
        try atLeastOne(saveFrequency, "save_freq")
        try atLeastOne(checkpointsKept, "checkpoints_kept")
        try atLeastOne(evaluationImages, "eval_images")
        try require(!model.isEmpty, "model", "is required: the path of a diffusers model folder")
        _ = try torchDevice()
        _ = try torchDType()
        // Autocast keeps the weights in their dtype; mixed precision means fp32 weights.
        try require(
            mixedPrecision == .no || dtype == "float32", "mixed_precision",
            "'\(mixedPrecision.rawValue)' needs dtype float32 (the trainable weights stay fp32), got dtype '\(dtype)'")
        let maximumThreads = Self.maximumThreads
        if let threads {
            try require(
                (1...maximumThreads).contains(threads), "threads", "must be in 1...\(maximumThreads), got \(threads)")
        }
        if let workers {
            try require(
                (1...maximumThreads).contains(workers), "workers", "must be in 1...\(maximumThreads), got \(workers)")
            try require(
                workers == 1 || (try torchDevice()) == .cpu, "workers",
                "\(workers) workers need device cpu (on a GPU the kernels of one stream run one after another); got device '\(device)'"
            )
        }
        try positive(distributedTimeout, "distributed_timeout")
        if tasks == nil {
            try catalogue.promptSets.checkArguments(prompt)
            try require(
                knownRewards.contains(reward.name), "reward",
                Suggestion.unknownName("reward", reward.name, valid: knownRewards.sorted()))
        }
        try validateTasks(knownRewards: knownRewards, promptSets: catalogue.promptSets)

        // Sampling.
        let maximumSteps = SchedulerConfiguration.maximumTrainTimesteps
        try require(
            (1...maximumSteps).contains(sample.numSteps), "sample.num_steps",
            "must be in 1...num_train_timesteps of the model's scheduler (at most \(maximumSteps)), "
                + "got \(sample.numSteps)"
        )
        try checkStepsAgainstModelScheduler()
        try require(
            sample.eta > 0 && sample.eta.isFinite, "sample.eta",
            "must be > 0 for training, got \(sample.eta) (every DDIM step needs a log-probability; "
                + "eta 0, deterministic DDIM, is for ddpo sample and evaluate)")
        try require(
            sample.eta <= 1, "sample.eta",
            "must be in (0, 1], got \(sample.eta) (above 1 the DDIM step's variance exceeds 1 - alpha-bar: NaN)")
        try positive(sample.guidanceScale, "sample.guidance_scale")
        let maximumGuidance = SamplingOptions.maximumGuidanceScale
        try require(
            sample.guidanceScale <= maximumGuidance, "sample.guidance_scale",
            "must be in (0, \(Int(maximumGuidance))], got \(sample.guidanceScale)")
        try atLeastOne(sample.batchSize, "sample.batch_size")
        // Far above any GPU's batch of latents; what lies beyond is a typo.
        try require(
            sample.batchSize <= 65_536, "sample.batch_size", "must be at most 65536, got \(sample.batchSize)")
        try atLeastOne(sample.numBatchesPerEpoch, "sample.num_batches_per_epoch")
        // samplesPerEpoch below would trap on overflow (found by Tests/FuzzTests).
        try require(
            !sample.batchSize.multipliedReportingOverflow(by: sample.numBatchesPerEpoch).overflow,
            "sample.num_batches_per_epoch",
            "\(sample.numBatchesPerEpoch) batches of \(sample.batchSize) samples overflow the count of samples per epoch"
        )
        for (size, field) in [(sample.height, "sample.height"), (sample.width, "sample.width")] {
            if let size {
                try require(size > 0 && size % 8 == 0, field, "must be a positive multiple of 8, got \(size)")
                let maximumSize = Self.maximumImageSide
                try require(
                    size <= maximumSize, field,
                    "must be at most \(maximumSize) pixels (a latent side of "
                        + "\(ModelSizeLimits.maximumLatentSide) at SD's "
                        + "scale factor 8), got \(size)")
            }
        }

        // Training.
        try atLeastOne(train.batchSize, "train.batch_size")
        try require(
            samplesPerEpoch % train.batchSize == 0, "train.batch_size",
            "must divide the \(samplesPerEpoch) samples per epoch"
                + " (sample.batch_size × sample.num_batches_per_epoch), got \(train.batchSize)")
        try atLeastOne(train.gradientAccumulationSteps, "train.gradient_accumulation_steps")
        let trainBatches = samplesPerEpoch / train.batchSize
        try require(
            trainBatches % train.gradientAccumulationSteps == 0, "train.gradient_accumulation_steps",
            "must divide the \(trainBatches) training batches per epoch, got \(train.gradientAccumulationSteps)"
                + " (the last optimizer step of each epoch would be partial)")
        try positive(train.learningRate, "train.learning_rate")
        try require((0..<1).contains(train.adamBeta1), "train.adam_beta1", "must be in [0, 1), got \(train.adamBeta1)")
        try require((0..<1).contains(train.adamBeta2), "train.adam_beta2", "must be in [0, 1), got \(train.adamBeta2)")
        try require(
            train.adamWeightDecay >= 0 && train.adamWeightDecay.isFinite, "train.adam_weight_decay",
            "must be >= 0, got \(train.adamWeightDecay)")
        try positive(train.adamEpsilon, "train.adam_epsilon")
        try positive(train.maxGradNorm, "train.max_grad_norm")
        try atLeastOne(train.numInnerEpochs, "train.num_inner_epochs")
        try positive(train.advClipMax, "train.adv_clip_max")
        try positive(train.clipRange, "train.clip_range")
        try require(
            train.timestepFraction > 0 && train.timestepFraction <= 1, "train.timestep_fraction",
            "must be in (0, 1], got \(train.timestepFraction)")
        try require(
            train.trainedTimesteps(numSteps: sample.numSteps) >= 1, "train.timestep_fraction",
            "trains on no step: floor(\(sample.numSteps) × \(train.timestepFraction)) = 0")
        try require(
            train.rwrBeta >= 0 && train.rwrBeta.isFinite, "train.rwr_beta", "must be >= 0, got \(train.rwrBeta)")
        try require(
            (0...100).contains(train.rwrPercentile), "train.rwr_percentile",
            "must be in [0, 100], got \(train.rwrPercentile)")
        try require(
            train.klWeight >= 0 && train.klWeight.isFinite, "train.kl_weight",
            "must be >= 0, got \(train.klWeight)")
        try require(
            train.pretrainLossWeight >= 0 && train.pretrainLossWeight.isFinite, "train.pretrain_loss_weight",
            "must be >= 0, got \(train.pretrainLossWeight)")
        try atLeastOne(train.pretrainBatchSize, "train.pretrain_batch_size")
        try require(
            train.dpoBeta > 0 && train.dpoBeta.isFinite, "train.dpo_beta", "must be > 0, got \(train.dpoBeta)")
        try require(
            train.dpoClipRange > 0 && train.dpoClipRange < 1, "train.dpo_clip_range",
            "must be in (0, 1), got \(train.dpoClipRange)")
        if train.pretrainLossWeight > 0 { _ = try catalogue.pretrainingDataset(named: train.pretrainData) }

        // Advantages.
        try atLeastOne(advantages.perPromptBufferSize, "advantages.per_prompt_buffer_size")
        try atLeastOne(advantages.perPromptMinCount, "advantages.per_prompt_min_count")
        try require(
            advantages.perPromptMinCount <= advantages.perPromptBufferSize, "advantages.per_prompt_min_count",
            "must not exceed per_prompt_buffer_size (\(advantages.perPromptBufferSize)),"
                + " got \(advantages.perPromptMinCount): the buffer would never be used")
        // Human labels compare the two images of a pair, and cannot score held-out images.
        for (index, task) in effectiveTasks.enumerated() where task.reward.name == "human" {
            let field = tasks == nil ? "reward" : "tasks.\(index).reward"
            try require(
                train.algorithm.trainsOnPairs, field,
                "'human' labels pairs of images: it needs train.algorithm p3o or d3po, got \(train.algorithm.rawValue)")
            try require(
                !monitor.isOn, "monitor.every",
                "must be 0 with 'human' labels: the monitor would need a person to score its held-out images")
        }
        if train.algorithm.trainsOnPairs {
            // A pair is samples 2k and 2k + 1 of one sampling batch (so of one rank),
            // and trains in one micro-batch.
            try require(
                sample.batchSize % 2 == 0, "sample.batch_size",
                "must be even for \(train.algorithm.rawValue), which samples pairs, got \(sample.batchSize)")
            try require(
                train.batchSize % 2 == 0, "train.batch_size",
                "must be even for \(train.algorithm.rawValue), which trains on pairs, got \(train.batchSize)")
        } else {
            try require(
                !sample.pairSharedNoise, "sample.pair_shared_noise",
                "is for the pairs of p3o and d3po; train.algorithm is \(train.algorithm.rawValue)")
            // Pairs replace the groups: only the other algorithms sample per group.
            if advantages.strategy == .group {
                try require(
                    advantages.groupSize >= 2, "advantages.group_size",
                    "must be at least 2 for the group strategy, got \(advantages.groupSize)")
                try require(
                    samplesPerEpoch % advantages.groupSize == 0, "advantages.group_size",
                    "must divide the \(samplesPerEpoch) samples per epoch"
                        + " (sample.batch_size × sample.num_batches_per_epoch), got \(advantages.groupSize)")
            }
        }

        // LoRA.
        if useLoRA {
            try atLeastOne(lora.rank, "lora.rank")
            try positive(lora.alpha, "lora.alpha")
            try require(
                !lora.targets.isEmpty && !lora.targets.contains(where: \.isEmpty), "lora.targets",
                "must name at least one module, and no empty names")
        }

        // Monitors.
        try monitor.validate(knownRewards: knownRewards, promptSets: catalogue.promptSets)
        return self
    }

    /// The most intra-op `threads` and `workers` (and `--threads`): more only waits on
    /// locks, and tens of thousands of threads crash or hang libtorch's pool.
    public static let maximumThreads = 512

    /// The largest `sample.height` / `sample.width` in pixels.
    public static let maximumImageSide = 8 * ModelSizeLimits.maximumLatentSide

    /// `sample.num_steps` against the model folder's scheduler_config.json, when the
    /// folder has one (loading the model reports a missing folder): with steps_offset,
    /// the last timestep must stay inside the schedule. The file's own fields are
    /// checked as it is read (an error names the file and the field).
    func checkStepsAgainstModelScheduler() throws {
        let url = URL(fileURLWithPath: model).appendingPathComponent("scheduler")
            .appendingPathComponent("scheduler_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let configuration: SchedulerConfiguration
        do {
            configuration = try SchedulerConfiguration.load(from: url)
        } catch {
            throw ConfigurationError(field: "model", message: "\(error)")
        }
        let scheduler = DDIMScheduler(configuration: configuration)
        do {
            _ = try scheduler.checkedTimesteps(inferenceSteps: sample.numSteps)
        } catch let error as SchedulerConfigurationError {
            throw ConfigurationError(field: "sample.num_steps", message: "\(error.message) (\(url.path))")
        }
    }

    /// `device` as a Torch device; throws naming `device` for an unknown string.
    public func torchDevice() throws -> Device {
        guard let parsed = Device(device) else {
            throw ConfigurationError(field: "device", message: "unknown device '\(device)' (valid: cpu, cuda, cuda:N)")
        }
        return parsed
    }

    /// `dtype` as a Torch dtype; throws naming `dtype` for anything but a
    /// floating-point type.
    public func torchDType() throws -> DType {
        let valid = DType.allCases.filter(\.isFloatingPoint)
        guard let parsed = valid.first(where: { $0.description == dtype }) else {
            throw ConfigurationError(
                field: "dtype",
                message:
                    "unknown dtype '\(dtype)' (valid: \(valid.map(\.description).joined(separator: ", ")))")
        }
        return parsed
    }
}
