/// DDPO's default advantage: each reward normalised by the recent rewards of its own
/// prompt (ddpo-pytorch's `PerPromptStatTracker`, docs/algorithm.md §5).
///
/// For every batch and every distinct prompt in it:
/// 1. the prompt's rewards from this batch are pushed onto its buffer FIRST (the
///    buffer keeps the last `bufferSize` rewards, oldest dropped);
/// 2. if the buffer now holds fewer than `minCount` rewards, the statistics are the
///    whole batch's mean and std, else the buffer's;
/// 3. A = (r - mean) / (std + 1e-6), std being the population std (numpy's ddof 0).
///
/// The buffers are training state: a resumed run must restore them (`state`,
/// `init(state:)`), or its advantages differ from the uninterrupted run's. In a
/// data-parallel run the tracker must see the whole gathered batch (every rank's
/// prompts and rewards), as ddpo-pytorch's does.
public struct PerPromptStatTracker: Sendable {
    public static let defaultBufferSize = 16
    public static let defaultMinCount = 16
    /// Added to the std so that a batch of equal rewards gives A = 0, not 0 / 0.
    public static let stdEpsilon = 1e-6

    /// How many of a prompt's most recent rewards are kept.
    public let bufferSize: Int
    /// How many rewards a prompt's buffer needs before its own statistics are used.
    public let minCount: Int
    /// Each prompt's recent rewards, oldest first, at most `bufferSize` of them.
    public private(set) var buffers: [String: [Double]]

    /// An empty tracker. `minCount` above `bufferSize` would mean a buffer never
    /// qualifies (every advantage silently batch-normalised), so it traps.
    public init(bufferSize: Int = defaultBufferSize, minCount: Int = defaultMinCount) {
        precondition(bufferSize >= 1, "PerPromptStatTracker: bufferSize must be at least 1, got \(bufferSize)")
        precondition(
            minCount >= 0 && minCount <= bufferSize,
            "PerPromptStatTracker: minCount must be in 0...bufferSize (\(bufferSize)), got \(minCount)")
        self.bufferSize = bufferSize
        self.minCount = minCount
        self.buffers = [:]
    }

    /// A tracker holding saved buffers (oldest reward first). Throws when a buffer
    /// is empty, longer than `bufferSize`, or holds a non-finite reward.
    public init(bufferSize: Int, minCount: Int, buffers: [String: [Double]]) throws {
        guard bufferSize >= 1, minCount >= 0, minCount <= bufferSize else {
            throw AdvantageError.invalidTrackerState(
                "bufferSize \(bufferSize) and minCount \(minCount) "
                    + "need 1 <= bufferSize and 0 <= minCount <= bufferSize")
        }
        for prompt in buffers.keys.sorted() {
            let rewards = buffers[prompt]!
            guard (1...bufferSize).contains(rewards.count) else {
                throw AdvantageError.invalidTrackerState(
                    "prompt \"\(prompt)\" has \(rewards.count) rewards; expected 1...\(bufferSize)")
            }
            guard rewards.allSatisfy(\.isFinite) else {
                throw AdvantageError.invalidTrackerState("prompt \"\(prompt)\" has a non-finite reward")
            }
        }
        self.init(bufferSize: bufferSize, minCount: minCount)
        self.buffers = buffers
    }

    /// Pushes the batch's rewards into the buffers and returns one advantage per
    /// sample, in batch order. Throws (and changes nothing) when a reward is NaN or
    /// infinite; traps when `prompts` and `rewards` differ in length.
    public mutating func update(prompts: [String], rewards: [Double]) throws -> [Double] {
        try validateRewards(rewards, prompts: prompts)
        guard !rewards.isEmpty else { return [] }
        let batchStatistics = RewardStatistics(of: rewards)
        var advantages = [Double](repeating: 0, count: rewards.count)
        // Each prompt's advantages depend only on its own buffer and the whole
        // batch, so the order prompts are visited in does not matter.
        for group in groupByPrompt(prompts) {
            let groupRewards = group.indices.map { rewards[$0] }
            var buffer = buffers[group.prompt, default: []]
            buffer.append(contentsOf: groupRewards)
            if buffer.count > bufferSize {
                buffer.removeFirst(buffer.count - bufferSize)
            }
            buffers[group.prompt] = buffer

            let statistics = buffer.count < minCount ? batchStatistics : RewardStatistics(of: buffer)
            for index in group.indices {
                advantages[index] = (rewards[index] - statistics.mean) / (statistics.std + Self.stdEpsilon)
            }
        }
        return advantages
    }

    /// Count, mean and population std of each prompt's buffer (ddpo-pytorch's
    /// `get_stats`), for logging.
    public func stats() -> [String: RewardStatistics] {
        buffers.mapValues { RewardStatistics(of: $0) }
    }

    /// Forgets every prompt's rewards.
    public mutating func clear() {
        buffers.removeAll()
    }
}

// MARK: - Checkpoint state

extension PerPromptStatTracker {
    /// One prompt's buffer in saved state.
    public struct PromptBuffer: Codable, Equatable, Sendable {
        public var prompt: String
        /// Oldest reward first.
        public var rewards: [Double]

        public init(prompt: String, rewards: [Double]) {
            self.prompt = prompt
            self.rewards = rewards
        }
    }

    /// Everything a checkpoint needs to resume the tracker exactly. Buffers are a
    /// list sorted by prompt, not a dictionary, so their order is fixed; for
    /// byte-identical JSON also give the encoder `.sortedKeys` (Foundation's
    /// JSONEncoder otherwise orders a struct's keys at random).
    public struct State: Codable, Equatable, Sendable {
        public var bufferSize: Int
        public var minCount: Int
        public var buffers: [PromptBuffer]

        public init(bufferSize: Int, minCount: Int, buffers: [PromptBuffer]) {
            self.bufferSize = bufferSize
            self.minCount = minCount
            self.buffers = buffers
        }
    }

    public var state: State {
        State(
            bufferSize: bufferSize, minCount: minCount,
            buffers: buffers.keys.sorted().map { PromptBuffer(prompt: $0, rewards: buffers[$0]!) })
    }

    /// Restores saved state; throws on a prompt listed twice or an invalid buffer.
    public init(state: State) throws {
        var buffers: [String: [Double]] = [:]
        for entry in state.buffers {
            guard buffers.updateValue(entry.rewards, forKey: entry.prompt) == nil else {
                throw AdvantageError.invalidTrackerState("prompt \"\(entry.prompt)\" is listed twice")
            }
        }
        try self.init(bufferSize: state.bufferSize, minCount: state.minCount, buffers: buffers)
    }
}
