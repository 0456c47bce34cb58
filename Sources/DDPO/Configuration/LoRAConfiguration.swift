extension TrainingConfiguration {
    /// `lora:` the low-rank adapters trained when `use_lora` is true (docs/algorithm.md
    /// §7): added to the UNet's attention projections; everything else is frozen.
    public struct LoRA: Equatable, Sendable, ConfigurationSection {
        /// `rank`: r, the inner dimension of each adapter. Default 4.
        public var rank: Int
        /// `alpha`: the adapter output is scaled by alpha / rank (PEFT's
        /// convention). Default 4, i.e. scale 1.
        public var alpha: Double
        /// `targets`: module names (the last components of the UNet's parameter
        /// paths) that get adapters. Default ["to_q", "to_k", "to_v", "to_out.0"]:
        /// every self- and cross-attention projection.
        public var targets: [String]

        public init(rank: Int = 4, alpha: Double = 4, targets: [String] = ["to_q", "to_k", "to_v", "to_out.0"]) {
            self.rank = rank
            self.alpha = alpha
            self.targets = targets
        }

        /// alpha / rank, the factor on the adapter's output.
        public var scale: Double { alpha / Double(rank) }
    }
}

extension TrainingConfiguration.LoRA: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case rank
        case alpha
        case targets
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let d = Self()
        rank = try c.value(.rank, default: d.rank)
        alpha = try c.value(.alpha, default: d.alpha)
        targets = try c.value(.targets, default: d.targets)
    }
}
