/// What `CheckedReward` does with a NaN or infinite reward (option `non_finite`).
public enum NonFinitePolicy: String, CaseIterable, Codable, Sendable {
    /// Throw `RewardError.nonFiniteReward`, naming the sample and its prompt (default):
    /// a broken reward model should stop a run, not bias it.
    case error
    /// Report the samples in `RewardBatch.dropped`; the trainer leaves them out.
    case drop
}
