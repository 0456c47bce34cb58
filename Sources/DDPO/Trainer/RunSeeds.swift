import Torch

/// Seeds of a run's random streams, derived from (run seed, epoch, purpose) so
/// that epoch e draws the same numbers whether the run was resumed or not: no
/// generator state needs to be checkpointed.
public enum RunSeeds {
    public enum Purpose: UInt64, Sendable {
        case sampling = 1
        case training = 2
        case initialization = 3
        /// The pretraining loss's data and noise (its own stream, so turning it on
        /// leaves the policy update's shuffles unchanged).
        case pretraining = 4
        /// The over-optimisation monitors' noise (`OverOptimisationMonitor`).
        case monitoring = 5
    }

    public static func seed(_ runSeed: UInt64, epoch: Int, purpose: Purpose) -> UInt64 {
        // SplitMix64's finalizer over a combination of the inputs: well-spread, reproducible.
        SplitMix64.mix(
            runSeed &+ SplitMix64.gamma &* (UInt64(truncatingIfNeeded: epoch) &+ 1)
                &+ purpose.rawValue &* 0xD1B5_4A32_D192_ED03)
    }

    /// The seed of sampling batch `batch` of an epoch's stream: each batch has its
    /// own generator, so batches can be sampled in any order or at once
    /// (`workers`) and still draw the same noise. Batch 0 keeps the stream's seed.
    public static func seed(_ runSeed: UInt64, epoch: Int, purpose: Purpose, batch: Int) -> UInt64 {
        precondition(batch >= 0, "RunSeeds.seed: batch index must be >= 0, got \(batch)")
        let stream = seed(runSeed, epoch: epoch, purpose: purpose)
        guard batch > 0 else { return stream }
        return taskSeed(stream ^ 0x2545_F491_4F6C_DD1D, task: batch)
    }

    /// The run seed of task `index` of a multi-task run, from which all its streams
    /// (prompts, sampling, training) are derived as above. Task 0 keeps the run seed
    /// itself, so a single-task run draws exactly what it drew before tasks existed;
    /// the others get distinct, reproducible seeds, so two tasks on the same prompt
    /// set do not sample the same prompts and noise.
    public static func taskSeed(_ runSeed: UInt64, task index: Int) -> UInt64 {
        precondition(index >= 0, "RunSeeds.taskSeed: task index must be >= 0, got \(index)")
        guard index > 0 else { return runSeed }
        // The finalizer again, over the run seed mixed with the index by another odd
        // constant than `seed`'s.
        return SplitMix64.mix(runSeed ^ 0x5851_F42D_4C95_7F2D &* UInt64(index))
    }
}
