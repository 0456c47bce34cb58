/// The output of a reward for one batch.
public struct RewardBatch: Equatable, Sendable {
    /// One reward per sample, in batch order. A dropped sample keeps its non-finite
    /// value here (never a made-up number): select `keptIndices` before statistics.
    public var rewards: [Double]
    /// Per-sample extras for logging (e.g. a server's sub-scores); may be empty dictionaries.
    public var info: [[String: Double]]
    /// Samples whose reward was NaN or infinite and that `CheckedReward` dropped
    /// (policy `.drop`), ascending; empty under `.error`, which throws instead.
    public var dropped: [Int]
    /// A distribution-level reward's value for the batch as a whole (e.g. its
    /// diversity), from which `rewards` were derived; nil for per-image rewards.
    public var batchValue: Double?

    /// Empty `info` dictionaries when `info` is nil.
    public init(rewards: [Double], info: [[String: Double]]? = nil, dropped: [Int] = [], batchValue: Double? = nil) {
        self.rewards = rewards
        self.info = info ?? Array(repeating: [:], count: rewards.count)
        self.dropped = dropped
        self.batchValue = batchValue
    }

    public var droppedCount: Int { dropped.count }

    /// The samples to train on, ascending: all but `dropped`.
    public var keptIndices: [Int] {
        let dropped = Set(self.dropped)
        return rewards.indices.filter { !dropped.contains($0) }
    }

    /// The rewards of `keptIndices`, all finite after `CheckedReward`.
    public var keptRewards: [Double] { keptIndices.map { rewards[$0] } }
}
