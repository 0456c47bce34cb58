extension TrainingConfiguration {
    /// One entry of `tasks:` (multi-task joint training): a prompt set and a reward
    /// trained together with the other tasks, each with its own advantages.
    ///
    ///     tasks:
    ///       - {name: compress, prompt: shapes, reward: jpeg_compressibility, weight: 1.0}
    ///       - {name: align, prompt: shapes, reward: shapes_alignment, weight: 2.0}
    public struct TaskEntry: Equatable, Sendable {
        /// `name`: names the task's metrics (`reward_mean/<name>`) and its evaluation
        /// folder (`evaluations/<name>/`): letters, digits, '_' and '-' only, unique
        /// in the list. Required.
        public var name: String
        /// `prompt`: the task's prompt set, written as the top-level `prompt:`.
        /// Default "imagenet_animals".
        public var prompt: Prompt
        /// `reward`: the task's reward, written as the top-level `reward:`.
        /// Default "jpeg_compressibility".
        public var reward: Reward
        /// `weight`: multiplies the task's advantages (after clipping), so the task
        /// counts `weight` times in the policy loss. Must be > 0. Default 1.0.
        public var weight: Double

        public init(name: String, prompt: Prompt = Prompt(), reward: Reward = Reward(), weight: Double = 1.0) {
            self.name = name
            self.prompt = prompt
            self.reward = reward
            self.weight = weight
        }
    }

    /// `multi_task_update`: how the tasks of `tasks:` update the policy each epoch.
    public enum MultiTaskUpdate: String, CaseIterable, Codable, Sendable {
        /// One policy update per task, in the order listed, on that task's samples
        /// only (Zhang et al.'s multi-reward training): each task's update sees the
        /// policy the previous task's left.
        case sequential
        /// One policy update over every task's samples together: the train batches
        /// mix tasks, so each optimizer step follows the weighted sum of the tasks' losses.
        case weightedSum = "weighted_sum"
    }
}

extension TrainingConfiguration.MultiTaskUpdate: ConfigurationChoice {}

extension TrainingConfiguration.TaskEntry: Codable, ConfigurationSection {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case prompt
        case reward
        case weight
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        guard c.contains(.name) else {
            throw ConfigurationError(field: dottedPath(c.codingPath + [CodingKeys.name]), message: "is required")
        }
        let d = Self(name: "")
        self.init(
            name: try c.value(.name, default: d.name), prompt: try c.value(.prompt, default: d.prompt),
            reward: try c.value(.reward, default: d.reward), weight: try c.value(.weight, default: d.weight))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(prompt, forKey: .prompt)
        try c.encode(reward, forKey: .reward)
        try c.encode(weight, forKey: .weight)
    }
}

extension TrainingConfiguration {
    /// The tasks the trainer runs: `tasks:` as listed, or, without it, one task
    /// made of the top-level `prompt:` and `reward:` (weight 1).
    public var effectiveTasks: [TaskEntry] {
        tasks ?? [TaskEntry(name: "main", prompt: prompt, reward: reward, weight: 1)]
    }

    /// True when `tasks:` is given (even with one entry): metrics, evaluations and
    /// checkpoints are then kept per task name.
    public var isMultiTask: Bool { tasks != nil }

    /// Checks `tasks:` and `multi_task_update` (called by `validate(catalogue:)`).
    func validateTasks(knownRewards: Set<String>, promptSets: PromptSetRegistry) throws {
        guard let tasks else { return }
        guard !tasks.isEmpty else {
            throw ConfigurationError(field: "tasks", message: "must list at least one task (or leave `tasks:` out)")
        }
        // The top-level prompt and reward are not used with tasks: a changed one is a mistake.
        for (field, isDefault) in [("prompt", prompt == Prompt()), ("reward", reward == Reward())] where !isDefault {
            throw ConfigurationError(
                field: field,
                message:
                    "is not used when `tasks:` is given; set each task's \(field) instead and remove the top-level one")
        }
        guard train.algorithm.usesAdvantages else {
            throw ConfigurationError(
                field: "train.algorithm",
                message:
                    "'\(train.algorithm.rawValue)' cannot train `tasks:` (the task weights scale advantages);"
                    + " use ddpo_is or ddpo_sf")
        }
        var seen: Set<String> = []
        for (index, task) in tasks.enumerated() {
            let field = "tasks.\(index)"
            let safe =
                !task.name.isEmpty
                && task.name.unicodeScalars.allSatisfy {
                    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                        || $0 == "-"
                }
            guard safe else {
                throw ConfigurationError(
                    field: "\(field).name",
                    message:
                        "must be letters, digits, '_' or '-' (it names metrics and a folder), got '\(task.name)'")
            }
            guard seen.insert(task.name).inserted else {
                throw ConfigurationError(field: "\(field).name", message: "duplicate task name '\(task.name)'")
            }
            guard task.weight > 0 && task.weight.isFinite else {
                throw ConfigurationError(field: "\(field).weight", message: "must be > 0, got \(task.weight)")
            }
            do {
                _ = try promptSets.checkArguments(task.prompt)
            } catch var error as ConfigurationError {
                error.field = "\(field).\(error.field)"
                throw error
            }
            guard knownRewards.contains(task.reward.name) else {
                throw ConfigurationError(
                    field: "\(field).reward",
                    message: Suggestion.unknownName("reward", task.reward.name, valid: knownRewards.sorted()))
            }
        }
    }
}
