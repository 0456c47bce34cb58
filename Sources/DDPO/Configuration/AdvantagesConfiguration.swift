extension TrainingConfiguration {
    /// `advantages:` how rewards become advantages (docs/algorithm.md §5;
    /// `AdvantageEstimator`). Unused by rwr and rwr_sparse, which weight by reward.
    public struct Advantages: Equatable, Sendable, ConfigurationSection {
        /// `strategy`: "per_prompt" (DDPO's per-prompt stat tracking), "batch"
        /// (whole-batch normalisation, for huge prompt sets) or "group" (GRPO-style,
        /// group_size samples per prompt). Default "per_prompt".
        public var strategy: AdvantageStrategy
        /// `per_prompt_buffer_size`: rewards kept per prompt, across epochs. Default 16.
        public var perPromptBufferSize: Int
        /// `per_prompt_min_count`: a prompt's own buffer is used once it holds at
        /// least this many rewards, the batch's statistics before. Default 16.
        public var perPromptMinCount: Int
        /// `group_size`: K, samples drawn per prompt under "group" (each prompt is
        /// repeated K times in a row in the epoch). Default 4.
        public var groupSize: Int

        public init(
            strategy: AdvantageStrategy = .perPrompt,
            perPromptBufferSize: Int = PerPromptStatTracker.defaultBufferSize,
            perPromptMinCount: Int = PerPromptStatTracker.defaultMinCount,
            groupSize: Int = 4
        ) {
            self.strategy = strategy
            self.perPromptBufferSize = perPromptBufferSize
            self.perPromptMinCount = perPromptMinCount
            self.groupSize = groupSize
        }

        /// Samples per drawn prompt: group_size under "group", else 1.
        public var samplesPerPrompt: Int { strategy == .group ? groupSize : 1 }
    }
}

extension TrainingConfiguration.Advantages: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case strategy
        case perPromptBufferSize = "per_prompt_buffer_size"
        case perPromptMinCount = "per_prompt_min_count"
        case groupSize = "group_size"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let d = Self()
        strategy = try c.choice(.strategy, default: d.strategy)
        perPromptBufferSize = try c.value(.perPromptBufferSize, default: d.perPromptBufferSize)
        perPromptMinCount = try c.value(.perPromptMinCount, default: d.perPromptMinCount)
        groupSize = try c.value(.groupSize, default: d.groupSize)
    }
}
