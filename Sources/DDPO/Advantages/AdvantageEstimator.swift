/// How rewards become advantages; the raw values are the configuration names.
public enum AdvantageStrategy: String, CaseIterable, Codable, Sendable {
    /// DDPO's default: per-prompt buffers of recent rewards (`PerPromptStatTracker`).
    case perPrompt = "per_prompt"
    /// Whole-batch normalisation (`BatchAdvantages`), for huge prompt sets.
    case batch = "batch"
    /// Normalisation within each prompt's group of samples (`GroupAdvantages`).
    case group = "group"

    /// The strategy with this configuration name; throws, listing the valid names,
    /// for any other.
    public init(name: String) throws {
        guard let strategy = AdvantageStrategy(rawValue: name) else {
            throw AdvantageError.unknownStrategy(name)
        }
        self = strategy
    }
}

/// Turns a batch's rewards into clipped advantages with the configured strategy.
///
/// Advantages are clipped to [-advClipMax, advClipMax] here, once, as ddpo-pytorch
/// clamps them before the loss; the objectives take advantages as given.
public struct AdvantageEstimator: Sendable {
    public static let defaultAdvClipMax = 5.0

    public let strategy: AdvantageStrategy
    /// Advantages are clipped to ±advClipMax (`.infinity` disables clipping).
    public let advClipMax: Double
    /// Used and updated only by `.perPrompt`; part of a checkpoint (its `state`).
    public var statTracker: PerPromptStatTracker

    public struct Result: Equatable, Sendable {
        /// One clipped advantage per sample, in batch order.
        public var advantages: [Double]
        /// False only for samples of a zero-spread group under `.group`.
        public var carriesSignal: [Bool]
        /// Zero-spread groups under `.group`; 0 for the other strategies.
        public var skippedGroupCount: Int
        /// How many advantages the clipping changed.
        public var clippedCount: Int
    }

    public init(
        strategy: AdvantageStrategy = .perPrompt, advClipMax: Double = defaultAdvClipMax,
        statTracker: PerPromptStatTracker = PerPromptStatTracker()
    ) {
        precondition(advClipMax > 0, "AdvantageEstimator: advClipMax must be positive, got \(advClipMax)")
        self.strategy = strategy
        self.advClipMax = advClipMax
        self.statTracker = statTracker
    }

    /// Throws `AdvantageError.nonFiniteReward` (naming the sample index and prompt)
    /// before anything is computed or buffered, so the trainer may drop the sample
    /// and call again; traps when `prompts` and `rewards` differ in length.
    public mutating func estimate(rewards: [Double], prompts: [String]) throws -> Result {
        let unclipped: [Double]
        var carriesSignal = [Bool](repeating: true, count: rewards.count)
        var skippedGroupCount = 0
        switch strategy {
        case .perPrompt:
            unclipped = try statTracker.update(prompts: prompts, rewards: rewards)
        case .batch:
            unclipped = try BatchAdvantages.compute(rewards: rewards, prompts: prompts)
        case .group:
            let result = try GroupAdvantages.compute(rewards: rewards, prompts: prompts)
            unclipped = result.advantages
            carriesSignal = result.carriesSignal
            skippedGroupCount = result.skippedGroupCount
        }
        let advantages = Self.clip(unclipped, to: advClipMax)
        let clippedCount = zip(unclipped, advantages).filter { $0 != $1 }.count
        return Result(
            advantages: advantages, carriesSignal: carriesSignal,
            skippedGroupCount: skippedGroupCount, clippedCount: clippedCount)
    }

    /// Each value limited to [-limit, limit] (torch.clamp).
    public static func clip(_ advantages: [Double], to limit: Double) -> [Double] {
        advantages.map { Swift.min(Swift.max($0, -limit), limit) }
    }
}
