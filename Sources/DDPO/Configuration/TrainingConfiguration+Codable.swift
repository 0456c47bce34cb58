extension TrainingConfiguration: Codable, ConfigurationSection {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case runName = "run_name"
        case seed
        case logDir = "log_dir"
        case epochs
        case saveFrequency = "save_freq"
        case checkpointsKept = "checkpoints_kept"
        case evaluationImages = "eval_images"
        case resume
        case model
        case device
        case dtype
        case mixedPrecision = "mixed_precision"
        case threads
        case workers
        case distributedTimeout = "distributed_timeout"
        case useLoRA = "use_lora"
        case prompt
        case reward
        case tasks
        case multiTaskUpdate = "multi_task_update"
        case nanRewards = "nan_rewards"
        case sample
        case train
        case advantages
        case lora
        case monitor
    }

    /// The sections, whose keys overrides may name as `section.key`.
    static let sectionKeys: [String: [String]] = [
        CodingKeys.sample.stringValue: Sample.CodingKeys.allCases.map(\.stringValue),
        CodingKeys.train.stringValue: Train.CodingKeys.allCases.map(\.stringValue),
        CodingKeys.advantages.stringValue: Advantages.CodingKeys.allCases.map(\.stringValue),
        CodingKeys.lora.stringValue: LoRA.CodingKeys.allCases.map(\.stringValue),
        CodingKeys.monitor.stringValue: Monitor.CodingKeys.allCases.map(\.stringValue)
    ]

    /// Decodes with the defaults for absent keys, refusing unknown ones (so a
    /// document `{}` is the default configuration with a fresh run name).
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let d = Self()
        runName = try c.value(.runName, default: d.runName)
        seed = try c.value(.seed, default: d.seed)
        logDir = try c.value(.logDir, default: d.logDir)
        epochs = try c.value(.epochs, default: d.epochs)
        saveFrequency = try c.value(.saveFrequency, default: d.saveFrequency)
        checkpointsKept = try c.value(.checkpointsKept, default: d.checkpointsKept)
        evaluationImages = try c.value(.evaluationImages, default: d.evaluationImages)
        resume = try c.optionalValue(.resume)
        model = try c.value(.model, default: d.model)
        device = try c.value(.device, default: d.device)
        dtype = try c.value(.dtype, default: d.dtype)
        mixedPrecision = try c.choice(.mixedPrecision, default: d.mixedPrecision)
        threads = try c.optionalValue(.threads)
        workers = try c.optionalValue(.workers)
        distributedTimeout = try c.value(.distributedTimeout, default: d.distributedTimeout)
        useLoRA = try c.value(.useLoRA, default: d.useLoRA)
        prompt = try c.value(.prompt, default: d.prompt)
        reward = try c.value(.reward, default: d.reward)
        tasks = try c.optionalValue(.tasks)
        multiTaskUpdate = try c.choice(.multiTaskUpdate, default: d.multiTaskUpdate)
        if tasks != nil {
            // Each task names its own; a top-level one would be silently unused.
            for key in [CodingKeys.prompt, .reward] where c.contains(key) {
                throw ConfigurationError(
                    field: key.stringValue,
                    message:
                        "cannot be given together with `tasks:`; set each task's \(key.stringValue) instead")
            }
        }
        nanRewards = try c.choice(.nanRewards, default: d.nanRewards)
        sample = try c.value(.sample, default: d.sample)
        train = try c.value(.train, default: d.train)
        advantages = try c.value(.advantages, default: d.advantages)
        lora = try c.value(.lora, default: d.lora)
        monitor = try c.value(.monitor, default: d.monitor)
    }

    // Written by hand so that null fields (resume, threads, workers) are saved as null
    // rather than left out: the saved file shows every setting the run used.
    // Exceptions: without `tasks` the multi-task keys are left out (a single-task
    // run's config.yaml stays as it was), and with `tasks` the unused top-level
    // prompt and reward are, since decoding refuses them together.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(runName, forKey: .runName)
        try c.encode(seed, forKey: .seed)
        try c.encode(logDir, forKey: .logDir)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(saveFrequency, forKey: .saveFrequency)
        try c.encode(checkpointsKept, forKey: .checkpointsKept)
        try c.encode(evaluationImages, forKey: .evaluationImages)
        try c.encode(resume, forKey: .resume)
        try c.encode(model, forKey: .model)
        try c.encode(device, forKey: .device)
        try c.encode(dtype, forKey: .dtype)
        try c.encode(mixedPrecision, forKey: .mixedPrecision)
        try c.encode(threads, forKey: .threads)
        try c.encode(workers, forKey: .workers)
        try c.encode(distributedTimeout, forKey: .distributedTimeout)
        try c.encode(useLoRA, forKey: .useLoRA)
        if let tasks {
            try c.encode(tasks, forKey: .tasks)
            try c.encode(multiTaskUpdate, forKey: .multiTaskUpdate)
        } else {
            try c.encode(prompt, forKey: .prompt)
            try c.encode(reward, forKey: .reward)
        }
        try c.encode(nanRewards, forKey: .nanRewards)
        try c.encode(sample, forKey: .sample)
        try c.encode(train, forKey: .train)
        try c.encode(advantages, forKey: .advantages)
        try c.encode(lora, forKey: .lora)
        try c.encode(monitor, forKey: .monitor)
    }
}
