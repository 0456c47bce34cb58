extension TrainingConfiguration {
    /// `monitor:` over-optimisation monitors (`OverOptimisationMonitor`): every
    /// `every` epochs (and once before training) the policy samples fixed held-out
    /// prompts with fixed noise, and the run logs their reward, the diversity of the
    /// images and the KL divergence to the base model; optionally the run stops when
    /// the held-out reward keeps falling. Off by default.
    public struct Monitor: Equatable, Sendable, ConfigurationSection {
        /// `every`: epochs between monitor evaluations; 0 turns the monitors off.
        /// Default 0.
        public var every: Int
        /// `prompts`: where the held-out prompts come from, in the form of the
        /// top-level `prompt:` (a set name such as "shapes_held_out", or a mapping);
        /// null takes the training prompt set. Default null.
        public var prompts: Prompt?
        /// `images`: images sampled at each monitor evaluation (one per prompt, the
        /// same prompts and noise every time). Default 16.
        public var images: Int
        /// `diversity`: a distribution-level reward (one that reports a batch value,
        /// `RewardBatch.batchValue`) whose batch value over the monitor's images is
        /// logged as their diversity; in the form of the top-level `reward:`.
        /// Default "diversity".
        public var diversity: Reward
        /// `fidelity`: a second reward scored on the monitor's images, in the form
        /// of the top-level `reward:`; its mean is logged as `monitor/fidelity` and
        /// each per-sample extra as `monitor/fidelity_<key>`. It measures what the
        /// training reward does not: for the shapes world `shapes_alignment`, whose
        /// `match_all` is the share of images the recogniser finds fully true to their
        /// caption, so a run that trains on JPEG size shows what it costs in prompt
        /// fidelity. null: none. Default null.
        public var fidelity: Reward?
        /// `stop_after_falls`: K; the run stops (checkpoint, final evaluation, normal
        /// end) once the held-out reward has fallen K monitor evaluations in a row.
        /// 0 never stops. Default 0.
        public var stopAfterFalls: Int

        public init(
            every: Int = 0, prompts: Prompt? = nil, images: Int = 16,
            diversity: Reward = Reward(name: "diversity"), fidelity: Reward? = nil, stopAfterFalls: Int = 0
        ) {
            self.every = every
            self.prompts = prompts
            self.images = images
            self.diversity = diversity
            self.fidelity = fidelity
            self.stopAfterFalls = stopAfterFalls
        }

        public var isOn: Bool { every > 0 }

        /// Checks the section (the diversity reward against `knownRewards`, as the
        /// top-level reward), throwing a `ConfigurationError` naming `monitor.<key>`.
        func validate(knownRewards: Set<String>, promptSets: PromptSetRegistry) throws {
            guard every >= 0 else {
                throw ConfigurationError(field: "monitor.every", message: "must be >= 0 (0: off), got \(every)")
            }
            guard stopAfterFalls >= 0 else {
                throw ConfigurationError(
                    field: "monitor.stop_after_falls",
                    message: "must be >= 0 (0: never stop), got \(stopAfterFalls)")
            }
            guard images >= 1 else {
                throw ConfigurationError(field: "monitor.images", message: "must be at least 1, got \(images)")
            }
            if stopAfterFalls > 0 && !isOn {
                throw ConfigurationError(
                    field: "monitor.stop_after_falls",
                    message:
                        "needs the monitors on (monitor.every > 0): with every = 0 nothing is measured to stop on")
            }
            // The names are only checked when used: the default "diversity" is not
            // needed by a run that does not monitor.
            guard isOn else { return }
            guard knownRewards.contains(diversity.name) else {
                throw ConfigurationError(
                    field: "monitor.diversity",
                    message: Suggestion.unknownName("reward", diversity.name, valid: knownRewards.sorted()))
            }
            if let fidelity, !knownRewards.contains(fidelity.name) {
                throw ConfigurationError(
                    field: "monitor.fidelity",
                    message: Suggestion.unknownName("reward", fidelity.name, valid: knownRewards.sorted()))
            }
            if let prompts {
                do {
                    try promptSets.checkArguments(prompts)
                } catch var error as ConfigurationError {
                    // "prompt.file" → "monitor.prompts.file".
                    error.field = "monitor.prompts" + error.field.dropFirst("prompt".count)
                    throw error
                }
            }
        }
    }
}

extension TrainingConfiguration.Monitor: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case every
        case prompts
        case images
        case diversity
        case fidelity
        case stopAfterFalls = "stop_after_falls"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let d = Self()
        every = try c.value(.every, default: d.every)
        prompts = try c.optionalValue(.prompts)
        images = try c.value(.images, default: d.images)
        diversity = try c.value(.diversity, default: d.diversity)
        fidelity = try c.optionalValue(.fidelity)
        stopAfterFalls = try c.value(.stopAfterFalls, default: d.stopAfterFalls)
    }

    // By hand so that `prompts: null` and `fidelity: null` are written: the saved file shows the setting.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(every, forKey: .every)
        try c.encode(prompts, forKey: .prompts)
        try c.encode(images, forKey: .images)
        try c.encode(diversity, forKey: .diversity)
        try c.encode(fidelity, forKey: .fidelity)
        try c.encode(stopAfterFalls, forKey: .stopAfterFalls)
    }
}
