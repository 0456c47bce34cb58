extension Evaluation {
    /// The evaluation's TensorBoard scalars: `eval/reward_mean`, `eval/reward_std`
    /// (population, over finite rewards) and `eval/<key>` for the mean of each
    /// per-sample extra (e.g. `eval/match_all`); each suffixed `/<task>` for a task
    /// of a multi-task run. Logged at the epochs trained (0 = before training), the
    /// step the monitors use, so the two line up.
    public func scalars(task: String?) -> [String: Double] {
        var scalars = [
            "reward_mean": meanReward, "reward_std": EpochReport.standardDeviation(rewards.filter(\.isFinite))
        ]
        for (key, value) in infoMeans ?? [:] where scalars[key] == nil { scalars[key] = value }
        let suffix = task.map { "/\($0)" } ?? ""
        return Dictionary(uniqueKeysWithValues: scalars.map { ("eval/\($0.key)\(suffix)", $0.value) })
    }
}
