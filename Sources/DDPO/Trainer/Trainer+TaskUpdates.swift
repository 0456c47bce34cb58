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
    func updatePolicy(_ epochs: [TaskEpoch], progress: ((String, Int, Int) -> Void)?) throws
        -> (total: PolicyUpdateStatistics, perTask: [PolicyUpdateStatistics]?)
    {
        switch configuration.multiTaskUpdate {
        case .sequential:
            var perTask: [PolicyUpdateStatistics] = []
            for (task, taskEpoch) in zip(tasks, epochs) {
                let label = configuration.isMultiTask ? "training \(task.name)" : "training"
                perTask.append(
                    try policyUpdate(seed: task.seed, label: task.name).run(
                        on: taskEpoch.weightedSamples(task.weight),
                        generator: Generator(
                            seed: RunSeeds.seed(task.seed, epoch: epoch, purpose: .training, batch: dataParallel.rank))
                    ) {
                        progress?(label, $0, $1)
                    })
            }
            return (PolicyUpdateStatistics.combining(perTask), perTask)
        case .weightedSum:
            let samples = EpochSamples.concatenating(zip(tasks, epochs).map { $0.1.weightedSamples($0.0.weight) })
            let total = try policyUpdate(seed: configuration.seed, label: "all tasks").run(
                on: samples,
                generator: Generator(
                    seed: RunSeeds.seed(
                        configuration.seed, epoch: epoch, purpose: .training,
                        batch: dataParallel.rank))
            ) {
                progress?("training", $0, $1)
            }
            return (total, nil)
        }
    }

    /// A policy update of this epoch; `seed` (a task's or the run's) seeds its pretraining
    /// batches; `label` names it in a failed collective's error.
    private func policyUpdate(seed: UInt64, label: String) -> PolicyUpdate {
        let train = configuration.train
        let pretraining = pretrainingDataset.map {
            PretrainingLoss(
                model: model, dataset: $0, batchSize: train.pretrainBatchSize,
                seed: RunSeeds.seed(seed, epoch: epoch, purpose: .pretraining))
        }
        return PolicyUpdate(
            sampler: sampler, optimizer: optimizer, train: train, sampling: configuration.sample,
            workers: threading.workers, klReference: klReference, pretraining: pretraining,
            dataParallel: dataParallel, label: "epoch \(epoch), \(label)")
    }
}
