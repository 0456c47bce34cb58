import Torch

extension Trainer {
    /// The policy update(s) of one epoch over the tasks' samples, as
    /// `multi_task_update` says; returns the epoch's statistics and, under
    /// "sequential", each task's own (nil under "weighted_sum").
    ///
    /// Either way the epoch takes tasks × samples / (train.batch_size ×
    /// gradient_accumulation_steps) × num_inner_epochs optimizer steps: "sequential"
    /// in one update per task, each on that task's samples only; "weighted_sum" in one
    /// update whose train batches mix the tasks. A single-task run is "sequential"
    /// with one task of weight 1, seeded as before tasks existed.
    func updatePolicy(_ epochs: [TaskEpoch], progress: ((String, Int, Int) -> Void)?)
        -> (total: PolicyUpdateStatistics, perTask: [PolicyUpdateStatistics]?) {
        switch configuration.multiTaskUpdate {
        case .sequential:
            var perTask: [PolicyUpdateStatistics] = []
            for (task, taskEpoch) in zip(tasks, epochs) {
                let label = configuration.isMultiTask ? "training \(task.name)" : "training"
                perTask.append(policyUpdate(seed: task.seed).run(
                    on: taskEpoch.weightedSamples(task.weight),
                    generator: Generator(seed: RunSeeds.seed(task.seed, epoch: epoch, purpose: .training))) {
                        progress?(label, $0, $1)
                    })
            }
            return (PolicyUpdateStatistics.combining(perTask), perTask)
        case .weightedSum:
            let samples = EpochSamples.concatenating(zip(tasks, epochs).map { $0.1.weightedSamples($0.0.weight) })
            let total = policyUpdate(seed: configuration.seed).run(
                on: samples, generator: Generator(seed: RunSeeds.seed(configuration.seed, epoch: epoch, purpose: .training))) {
                    progress?("training", $0, $1)
                }
            return (total, nil)
        }
    }

    /// A policy update of this epoch; `seed` (a task's or the run's) seeds its pretraining batches.
    private func policyUpdate(seed: UInt64) -> PolicyUpdate {
        let train = configuration.train
        let pretraining = train.pretrainLossWeight > 0
            ? PretrainingLoss(model: model, dataset: train.pretrainData.dataset(), batchSize: train.pretrainBatchSize,
                              seed: RunSeeds.seed(seed, epoch: epoch, purpose: .pretraining))
            : nil
        return PolicyUpdate(sampler: sampler, optimizer: optimizer, settings: policySettings(),
                            inferenceSteps: configuration.sample.numSteps, klReference: klReference,
                            pretraining: pretraining)
    }
}

extension PolicyUpdateStatistics {
    /// The statistics of several updates run one after another, as if one: sums of
    /// counts, means weighted by micro-batches (loss, approx KL, clip fraction, KL
    /// penalty) or by optimizer steps (gradient norm, pretraining loss), steps in order.
    /// One update's statistics come back unchanged.
    static func combining(_ parts: [PolicyUpdateStatistics]) -> PolicyUpdateStatistics {
        if parts.count == 1 { return parts[0] }
        var total = PolicyUpdateStatistics()
        total.microBatches = parts.map(\.microBatches).reduce(0, +)
        total.optimizerSteps = parts.map(\.optimizerSteps).reduce(0, +)
        total.steps = parts.flatMap(\.steps)
        let micro = Double(max(total.microBatches, 1))
        let steps = Double(max(total.optimizerSteps, 1))
        func mean(_ value: (PolicyUpdateStatistics) -> Double, by count: (PolicyUpdateStatistics) -> Int,
                  over n: Double) -> Double {
            parts.map { value($0) * Double(count($0)) }.reduce(0, +) / n
        }
        total.loss = mean(\.loss, by: \.microBatches, over: micro)
        total.approxKL = mean(\.approxKL, by: \.microBatches, over: micro)
        total.clipFraction = mean(\.clipFraction, by: \.microBatches, over: micro)
        total.gradientNorm = mean(\.gradientNorm, by: \.optimizerSteps, over: steps)
        if parts.allSatisfy({ $0.klPenalty != nil }) {
            total.klPenalty = mean({ $0.klPenalty! }, by: \.microBatches, over: micro)
        }
        if parts.allSatisfy({ $0.pretrainLoss != nil }) {
            total.pretrainLoss = mean({ $0.pretrainLoss! }, by: \.optimizerSteps, over: steps)
        }
        return total
    }
}
