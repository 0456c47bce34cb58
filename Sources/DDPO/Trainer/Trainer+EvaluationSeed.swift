extension Trainer {
    /// The noise seed of task `index`'s fixed evaluation in a run whose configured
    /// seed is `runSeed`: what `evaluate()` draws from and its `Evaluation.seed`
    /// records. A derived 64-bit number means nothing to a reader; with this the
    /// report can check it and show the configured seed instead ("seed 42").
    public static func evaluationSeed(runSeed: UInt64, task index: Int) -> UInt64 {
        RunSeeds.seed(RunSeeds.taskSeed(runSeed, task: index), epoch: evaluationEpoch, purpose: .sampling)
    }
}
