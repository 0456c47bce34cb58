/// What the trainer does with a sample whose reward is NaN or infinite
/// (`nan_rewards`); a single one would otherwise poison the batch statistics.
public enum NaNRewardPolicy: String, CaseIterable, Codable, Sendable {
    /// Stop the run with an error naming the sample and its prompt (the default:
    /// a broken reward model should be noticed, not trained around).
    case error = "error"
    /// Leave the sample out of this epoch's advantages and training, and count it
    /// in the metrics.
    case drop = "drop"
}

extension NaNRewardPolicy: ConfigurationChoice {}
