import Foundation

/// Everything a DDPO training run is given, as written in its YAML file (snake_case
/// keys, sections `sample`, `train`, `advantages`, `lora`, `monitor`). Defaults are the
/// reference implementation's (docs/algorithm.md §12, ddpo-pytorch's config/base.py);
/// a missing key takes its default, an unknown key is an error.
///
/// Load with `load(yaml:overrides:)`, check with `validate(knownRewards:)`, and save
/// the effective configuration beside the run with `yamlString()`.
public struct TrainingConfiguration: Equatable, Sendable {
    /// `run_name`: the run's folder name under `log_dir`. Default: the local time
    /// the configuration was made, "2026.11.24_19.36.41" (`timestampRunName`).
    public var runName: String
    /// `seed`: seeds the sampling noise, the prompt draws and the shuffles. Default 42.
    public var seed: UInt64
    /// `log_dir`: folder that holds one folder per run. Default "runs".
    public var logDir: String
    /// `epochs`: outer epochs, each one round of sampling then training. Default 100.
    public var epochs: Int
    /// `save_freq`: epochs between checkpoints. Default 10.
    public var saveFrequency: Int
    /// `checkpoints_kept`: the newest checkpoints kept; older ones are deleted.
    /// Default 3.
    public var checkpointsKept: Int
    /// `eval_images`: images of the fixed evaluation (same prompts and noise before
    /// and after training) that the report compares. Default 8.
    public var evaluationImages: Int
    /// `resume`: a checkpoint folder, or a run folder (its newest checkpoint), to
    /// continue from; null starts afresh. `use_lora` must match the saved run.
    /// Default null.
    public var resume: String?
    /// `model`: the pretrained model, a diffusers folder (model_index.json, unet/,
    /// vae/, text_encoder/, tokenizer/, scheduler/). Required: no default ("").
    public var model: String
    /// `device`: "cpu", "cuda" or "cuda:N". Default "cpu".
    public var device: String
    /// `dtype`: precision the frozen model runs in: "float32", "float16",
    /// "bfloat16" (or "float64", for tests). Default "float32".
    public var dtype: String
    /// `mixed_precision`: "no" or "bf16" (autocast for the UNet's forward passes;
    /// the trainable weights stay in `dtype`, which should then be "float32").
    /// Default "no".
    public var mixedPrecision: MixedPrecision
    /// `threads`: libtorch intra-op threads per worker; null chooses
    /// (`ThreadingPlan`): on the CPU the cores divided among the workers, so that
    /// with the default workers each worker runs its ops on one thread, and no
    /// thread pool spin-waits against other programs on the machine; on a GPU
    /// libtorch's own choice. Default null.
    public var threads: Int?
    /// `workers`: threads that sample an epoch's batches and compute the micro-batches
    /// of an accumulation window side by side (`OrderedWork`), each op of each using
    /// `threads` intra-op threads: `workers: 2, threads: 1` uses two cores. Results
    /// do not depend on it (batches have their own noise; gradients are summed in the
    /// sequential order). Each worker past the first holds one more set of the
    /// trainable weights' gradients and its own activations. More than 1 needs the
    /// CPU. null chooses (`ThreadingPlan`): one per core on the CPU (shared among
    /// the data-parallel processes of one machine), 1 on a GPU. Default null.
    public var workers: Int?
    /// `distributed_timeout`: seconds a data-parallel run's collectives (and the
    /// rendezvous) may wait for the other ranks before the run stops with an error
    /// naming the collective; a rank that dies is noticed at once. Unused by a single
    /// process. Default 1800 (PyTorch's default).
    public var distributedTimeout: Double
    /// `use_lora`: train LoRA adapters (section `lora`) instead of the whole UNet.
    /// Default true.
    public var useLoRA: Bool
    /// `prompt`: the prompt set. Default "imagenet_animals".
    public var prompt: Prompt
    /// `reward`: the reward function. Default "jpeg_compressibility".
    public var reward: Reward
    /// `tasks`: multi-task joint training, a list of `{name, prompt, reward, weight}`
    /// (`TaskEntry`) replacing the top-level `prompt` and `reward`, which must then be
    /// left out. Default null: one task of `prompt` and `reward`.
    public var tasks: [TaskEntry]?
    /// `multi_task_update`: "sequential" (one policy update per task in turn) or
    /// "weighted_sum" (one update over all tasks' samples); used with `tasks`.
    /// Default "sequential".
    public var multiTaskUpdate: MultiTaskUpdate
    /// `nan_rewards`: "error" stops on a NaN/infinite reward, "drop" leaves the
    /// sample out. Default "error".
    public var nanRewards: NaNRewardPolicy
    /// `sample:` trajectory sampling.
    public var sample: Sample
    /// `train:` optimisation.
    public var train: Train
    /// `advantages:` reward normalisation.
    public var advantages: Advantages
    /// `lora:` adapter shape, used when `use_lora` is true.
    public var lora: LoRA
    /// `monitor:` over-optimisation monitors and early stop; off by default.
    public var monitor: Monitor

    public init(
        runName: String = TrainingConfiguration.timestampRunName(), seed: UInt64 = 42,
        logDir: String = "runs", epochs: Int = 100, saveFrequency: Int = 10, checkpointsKept: Int = 3,
        evaluationImages: Int = 8,
        resume: String? = nil, model: String = "", device: String = "cpu", dtype: String = "float32",
        mixedPrecision: MixedPrecision = .no,
        threads: Int? = nil, workers: Int? = nil, distributedTimeout: Double = 1800, useLoRA: Bool = true,
        prompt: Prompt = Prompt(), reward: Reward = Reward(),
        tasks: [TaskEntry]? = nil, multiTaskUpdate: MultiTaskUpdate = .sequential,
        nanRewards: NaNRewardPolicy = .error, sample: Sample = Sample(), train: Train = Train(),
        advantages: Advantages = Advantages(), lora: LoRA = LoRA(), monitor: Monitor = Monitor()
    ) {
        self.runName = runName
        self.seed = seed
        self.logDir = logDir
        self.epochs = epochs
        self.saveFrequency = saveFrequency
        self.checkpointsKept = checkpointsKept
        self.evaluationImages = evaluationImages
        self.resume = resume
        self.model = model
        self.device = device
        self.dtype = dtype
        self.mixedPrecision = mixedPrecision
        self.threads = threads
        self.workers = workers
        self.distributedTimeout = distributedTimeout
        self.useLoRA = useLoRA
        self.prompt = prompt
        self.reward = reward
        self.tasks = tasks
        self.multiTaskUpdate = multiTaskUpdate
        self.nanRewards = nanRewards
        self.sample = sample
        self.train = train
        self.advantages = advantages
        self.lora = lora
        self.monitor = monitor
    }

    /// A run name from the local time, "yyyy.MM.dd_HH.mm.ss" as ddpo-pytorch's
    /// (sortable, and free of characters that paths or URLs dislike).
    public static func timestampRunName(_ date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy.MM.dd_HH.mm.ss"
        return formatter.string(from: date)
    }

    /// The run's folder: log_dir/run_name.
    public var runDirectory: URL {
        URL(fileURLWithPath: logDir, isDirectory: true).appendingPathComponent(runName, isDirectory: true)
    }

    /// Consecutive samples drawn with one prompt: 2 (a pair) for p3o, group_size
    /// under the group advantage strategy, else 1.
    public var samplesPerPrompt: Int { train.algorithm.trainsOnPairs ? 2 : advantages.samplesPerPrompt }

    /// Samples per epoch on one device (sample.batch_size × num_batches_per_epoch).
    public var samplesPerEpoch: Int { sample.samplesPerEpoch }

    /// Optimizer steps per inner epoch on one device:
    /// samples / (train.batch_size × gradient_accumulation_steps).
    public var optimizerStepsPerInnerEpoch: Int {
        samplesPerEpoch / (train.batchSize * train.gradientAccumulationSteps)
    }
}
