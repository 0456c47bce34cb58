import RunLogging

/// What a run shows in TensorBoard's HPARAMS tab: the hyper-parameters that tell
/// runs apart, and the scalar tags whose last values sit beside them.
///
/// The names are the configuration's keys, so a row reads like config.yaml. The
/// metric list is the same for every run (see `TensorBoardHParams`); a run that did
/// not log one (no monitors) shows an empty cell.
enum RunHyperParameters {
    static let metrics = [
        TensorBoardHParams.Metric(
            tag: "reward_mean", displayName: "reward, last epoch",
            description: "training reward, mean of the last epoch"),
        TensorBoardHParams.Metric(
            tag: "eval/reward_mean", displayName: "evaluation reward",
            description: "mean reward on the fixed evaluation prompts and noise, at the last evaluation"),
        TensorBoardHParams.Metric(
            tag: "approx_kl", displayName: "approx_kl, last epoch", description: "approximate KL of the last update"),
        TensorBoardHParams.Metric(
            tag: "monitor/heldout_reward", displayName: "held-out reward",
            description: "training reward on the monitors' held-out prompts, last check"),
        TensorBoardHParams.Metric(
            tag: "monitor/fidelity", displayName: "held-out fidelity",
            description: "the monitor.fidelity reward on the held-out images, last check"),
        TensorBoardHParams.Metric(
            tag: "monitor/diversity", displayName: "held-out diversity",
            description: "diversity of the held-out images, last check"),
        TensorBoardHParams.Metric(
            tag: "monitor/kl_to_base", displayName: "KL to base", description: "KL to the base model, last check")
    ]

    static func make(_ configuration: TrainingConfiguration, startTime: Double) -> TensorBoardHParams {
        let sample = configuration.sample
        let train = configuration.train
        let tasks = configuration.effectiveTasks
        var values: [String: TensorBoardHParams.Value] = [
            // A string: a seed is a label, and a 64-bit seed does not fit a double exactly.
            "seed": .string(String(configuration.seed)),
            "epochs": .number(Double(configuration.epochs)),
            "model": .string(configuration.model),
            "reward": .string(tasks.map(\.reward.name).joined(separator: ", ")),
            "prompt": .string(tasks.map(\.prompt.name).joined(separator: ", ")),
            "use_lora": .bool(configuration.useLoRA),
            "dtype": .string(configuration.dtype),
            "mixed_precision": .string(configuration.mixedPrecision.rawValue),
            "sample.num_steps": .number(Double(sample.numSteps)),
            "sample.eta": .number(sample.eta),
            "sample.guidance_scale": .number(sample.guidanceScale),
            "sample.batch_size": .number(Double(sample.batchSize)),
            "sample.num_batches_per_epoch": .number(Double(sample.numBatchesPerEpoch)),
            "train.algorithm": .string(train.algorithm.rawValue),
            "train.batch_size": .number(Double(train.batchSize)),
            "train.learning_rate": .number(train.learningRate),
            "train.gradient_accumulation_steps": .number(Double(train.gradientAccumulationSteps)),
            "train.num_inner_epochs": .number(Double(train.numInnerEpochs)),
            "train.clip_range": .number(train.clipRange),
            "train.adv_clip_max": .number(train.advClipMax),
            "train.max_grad_norm": .number(train.maxGradNorm),
            "train.timestep_fraction": .number(train.timestepFraction),
            "train.kl_weight": .number(train.klWeight),
            "train.pretrain_loss_weight": .number(train.pretrainLossWeight),
            "advantages.strategy": .string(configuration.advantages.strategy.rawValue)
        ]
        if configuration.useLoRA {
            values["lora.rank"] = .number(Double(configuration.lora.rank))
            values["lora.alpha"] = .number(configuration.lora.alpha)
        }
        return TensorBoardHParams(
            values: values, metrics: metrics, groupName: configuration.runName, startTime: startTime)
    }
}
