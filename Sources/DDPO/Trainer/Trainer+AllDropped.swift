import Foundation

/// Epochs in which every sample was dropped: under `nan_rewards: drop` a reward that
/// returns only non-finite values leaves nothing to train on, and the run would go on
/// (and end with success) having trained nothing. Each such epoch is a warning; a task
/// whose every sample is dropped `maxAllDroppedEpochsInARow` epochs in a row stops the
/// run, and so does a run that ends having trained nothing at all (every task's
/// every sample dropped in every epoch it ran).
extension Trainer {
    /// How many epochs in a row a task may keep no sample before the run stops.
    public static let maxAllDroppedEpochsInARow = 3

    /// Called on every rank after each epoch (the report shows the whole epoch on
    /// every rank, so all stop together); rank 0 logs the warning.
    func checkAllDropped(_ report: EpochReport) throws {
        let perTask: [(kept: Int, dropped: Int)] =
            configuration.isMultiTask
            ? report.tasks.map { ($0.rewards.count, $0.droppedSamples) }
            : [(report.rewards.count, report.droppedSamples)]
        if allDroppedInARow.count != tasks.count { allDroppedInARow = Array(repeating: 0, count: tasks.count) }
        for index in tasks.indices where index < perTask.count {
            let (kept, dropped) = perTask[index]
            guard kept == 0 && dropped > 0 else {
                allDroppedInARow[index] = 0
                continue
            }
            allDroppedInARow[index] += 1
            if dataParallel.isMain {
                logger.warning(
                    "every sample of the epoch was dropped (non-finite rewards, nan_rewards: drop); nothing trained",
                    metadata: [
                        "epoch": "\(report.epoch)", "task": "\(tasks[index].name)",
                        "reward": "\(tasks[index].reward.name)", "dropped_samples": "\(dropped)",
                        "epochs_in_a_row": "\(allDroppedInARow[index])/\(Self.maxAllDroppedEpochsInARow)"
                    ])
            }
            if allDroppedInARow[index] >= Self.maxAllDroppedEpochsInARow {
                throw AllSamplesDroppedError(
                    reward: tasks[index].reward.name, task: configuration.isMultiTask ? tasks[index].name : nil,
                    epochs: allDroppedInARow[index], lastEpoch: report.epoch)
            }
        }
    }

    /// At the end of `run`: throws when it ran epochs and every task dropped every
    /// sample in each of them (fewer than `maxAllDroppedEpochsInARow`, or it would
    /// have stopped already), so the run does not end with success having trained nothing.
    func checkTrainedSomething(epochsRun: Int) throws {
        guard epochsRun > 0, !allDroppedInARow.isEmpty, let fewest = allDroppedInARow.min(), fewest >= epochsRun
        else { return }
        throw AllSamplesDroppedError(
            reward: tasks.map(\.reward.name).joined(separator: ", "), task: nil, epochs: epochsRun,
            lastEpoch: epoch - 1)
    }
}

/// Every sample of a task was dropped (non-finite rewards, `nan_rewards: drop`) in
/// `epochs` epochs in a row, ending with `lastEpoch` (0-based): nothing was trained.
public struct AllSamplesDroppedError: Error, CustomStringConvertible {
    /// The reward's name (several, comma-separated, when the whole run trained nothing).
    public var reward: String
    /// The task, in a multi-task run.
    public var task: String?
    public var epochs: Int
    public var lastEpoch: Int

    public var description: String {
        let first = lastEpoch - epochs + 1
        let range = epochs == 1 ? "epoch \(lastEpoch)" : "epochs \(first)–\(lastEpoch)"
        return "reward '\(reward)'\(task.map { " (task '\($0)')" } ?? ""): every reward was non-finite in \(epochs)"
            + " epoch(s) in a row (\(range)), so nan_rewards: drop dropped every sample and nothing was trained;"
            + " the run stops. Check the reward (a reward server answering NaN, a broken model); the last"
            + " checkpoint is intact"
    }
}
