import Foundation
import Torch

/// The workers and intra-op threads a run uses: the configured `workers` and
/// `threads`, with null ("choose") resolved for this machine.
///
/// On the CPU the rule is one worker per core, each running its ops on one
/// intra-op thread. Measured on 2 cores (README, "Threads on a busy machine"):
/// libtorch's own default, one OpenMP pool thread per core, spin-waits at the end
/// of every parallel op, so when another program holds one core each of the tiny
/// model's thousands of small ops waits for a descheduled thread, and an epoch took
/// many times longer than idle. Workers with one thread each share no pool, so they
/// slow down only by the share of the cores they lose, and idle they were as fast
/// as (or faster than) the pool. A large UNet (more than `largeModelParameters`,
/// as SD 1.5's 860 M) gets one worker with every core in its pool instead: its
/// ops are big enough to keep a pool busy between barriers, and each extra worker
/// would hold its own activations (and, fully fine-tuned, its own copy of the
/// gradients: 3.4 GB for SD 1.5). Explicit values are kept as given.
///
/// The data-parallel processes of one machine (`LOCAL_WORLD_SIZE`, set by
/// `ddpo train --nproc` and torchrun) divide its cores among themselves.
public struct ThreadingPlan: Equatable, Sendable {
    /// Threads sampling batches and computing micro-batches side by side.
    public var workers: Int
    /// Intra-op threads of each op; nil leaves libtorch's pool as it is (GPU runs).
    public var threads: Int?

    public init(workers: Int, threads: Int?) {
        self.workers = workers
        self.threads = threads
    }

    /// UNets above this many parameters get one worker when `workers` is null.
    public static let largeModelParameters = 100_000_000

    /// Resolves `configuredWorkers` / `configuredThreads` (nil: choose) for a run on
    /// `device` whose process may use `cores` cores, training a UNet of `modelParameters`.
    public static func resolve(
        configuredWorkers: Int?, configuredThreads: Int?, device: Device, cores: Int, modelParameters: Int = 0
    ) -> ThreadingPlan {
        let cores = max(1, cores)
        guard device == .cpu else {
            return ThreadingPlan(workers: configuredWorkers ?? 1, threads: configuredThreads)
        }
        let workers = configuredWorkers ?? (modelParameters > largeModelParameters ? 1 : cores)
        return ThreadingPlan(workers: workers, threads: configuredThreads ?? max(1, cores / workers))
    }

    /// The cores this process may use: the machine's active processors divided among
    /// the `LOCAL_WORLD_SIZE` processes of a data-parallel run on it.
    public static func coresPerProcess(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let local = environment["LOCAL_WORLD_SIZE"].flatMap(Int.init).map { max(1, $0) } ?? 1
        return max(1, cores / local)
    }
}

extension TrainingConfiguration {
    /// This run's workers and threads on this machine (`ThreadingPlan`), for a UNet
    /// of `modelParameters`.
    public func threadingPlan(
        modelParameters: Int, cores: Int = ThreadingPlan.coresPerProcess()
    ) throws -> ThreadingPlan {
        ThreadingPlan.resolve(
            configuredWorkers: workers, configuredThreads: threads, device: try torchDevice(), cores: cores,
            modelParameters: modelParameters)
    }
}
