import Foundation
import Torch

/// The data-parallel side of a run: which rank this process is, and the few
/// collectives DDPO needs, on PyTorch's c10d (`ProcessGroup`). A single process
/// (`single`) has world size 1 and every collective is the identity, so the trainer
/// runs the same code either way.
///
/// The semantics, as ddpo-pytorch and Flow-GRPO define them: each rank samples its
/// share of the epoch (`sample.num_batches_per_epoch` batches of its own, seeded by
/// their global batch index); rewards and prompts are gathered so the advantages see
/// the whole epoch; each rank trains on its own samples and the gradients are
/// averaged before every optimizer step, so weights and optimizer state stay equal
/// on every rank; rank 0 alone writes the run folder. docs/distributed.md has the rest.
public final class DataParallel {
    public let rank: Int
    public let worldSize: Int
    /// nil for a single process.
    let group: ProcessGroup?

    /// One process: no group, every collective the identity.
    public static var single: DataParallel { DataParallel(rank: 0, worldSize: 1, group: nil) }

    private init(rank: Int, worldSize: Int, group: ProcessGroup?) {
        self.rank = rank
        self.worldSize = worldSize
        self.group = group
    }

    /// Joins the job `launch` describes (world size 1: no group); waits at most
    /// `timeout` for the others to join, and for every collective afterwards.
    public convenience init(joining launch: LaunchEnvironment, timeout: Duration) throws {
        guard launch.worldSize > 1 else {
            self.init(rank: 0, worldSize: 1, group: nil)
            return
        }
        do {
            let group = try ProcessGroup(
                masterAddress: launch.masterAddress, port: launch.masterPort,
                rank: launch.rank, worldSize: launch.worldSize, timeout: timeout)
            self.init(rank: launch.rank, worldSize: launch.worldSize, group: group)
        } catch {
            throw DistributedError(
                rank: launch.rank, worldSize: launch.worldSize,
                step: "joining the job at "
                    + "\(launch.masterAddress):\(launch.masterPort)", cause: "\(error)")
        }
    }

    /// Whether this process writes the run folder (rank 0).
    public var isMain: Bool { rank == 0 }
    public var isDistributed: Bool { group != nil }

    /// Seconds this process has spent in collectives so far (waiting for slower
    /// ranks included), and the part of it spent averaging gradients: what an epoch
    /// report turns into `time_collectives_s` and `time_gradient_allreduce_s`.
    public private(set) var collectiveSeconds = 0.0
    public private(set) var gradientAllReduceSeconds = 0.0

    /// Runs a collective, turning its failure into an error naming this rank and `step`.
    private func collective<T>(_ step: String, _ body: (ProcessGroup) throws -> T) throws -> T? {
        guard let group else { return nil }
        let start = DispatchTime.now().uptimeNanoseconds
        defer { collectiveSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        do {
            return try body(group)
        } catch {
            throw DistributedError(rank: rank, worldSize: worldSize, step: step, cause: "\(error)")
        }
    }

    /// Every rank's values, in rank order. Ranks may pass different counts.
    public func allGather(_ values: [Double], _ step: String) throws -> [Double] {
        guard isDistributed else { return values }
        let counts = try allGatherCounts(values.count, step)
        let longest = counts.max() ?? 0
        let padded = Tensor(values + Array(repeating: 0.0, count: longest - values.count))
        let parts = try collective(step) { try $0.allGather(padded) }!
        return zip(parts, counts).flatMap { Array($0.0.toArray(Double.self).prefix($0.1)) }
    }

    /// Every rank's strings, in rank order (as UTF-8 bytes, each string's length first).
    public func allGather(_ strings: [String], _ step: String) throws -> [String] {
        guard isDistributed else { return strings }
        var encoded: [Double] = []
        for string in strings {
            let bytes = Array(string.utf8)
            encoded.append(Double(bytes.count))
            encoded += bytes.map(Double.init)
        }
        let gathered = try allGather(encoded, step)
        var strings: [String] = []
        var index = 0
        while index < gathered.count {
            let count = Int(gathered[index])
            let bytes = gathered[(index + 1)..<(index + 1 + count)].map { UInt8($0) }
            strings.append(String(decoding: bytes, as: UTF8.self))
            index += 1 + count
        }
        return strings
    }

    private func allGatherCounts(_ count: Int, _ step: String) throws -> [Int] {
        try collective(step) { try $0.allGather(Tensor([Int64(count)])) }!.map { Int($0.itemInt()) }
    }

    /// The element-wise sum over ranks.
    public func sum(_ values: [Double], _ step: String) throws -> [Double] {
        guard isDistributed, !values.isEmpty else { return values }
        let tensor = Tensor(values)
        try collective(step) { try $0.allReduce(tensor, op: .sum) }
        return tensor.toArray(Double.self)
    }

    /// The largest value over ranks.
    public func maximum(_ value: Int, _ step: String) throws -> Int {
        guard isDistributed else { return value }
        let tensor = Tensor([Int64(value)])
        try collective(step) { try $0.allReduce(tensor, op: .max) }
        return Int(tensor.itemInt())
    }

    /// Replaces each parameter's gradient by its mean over ranks (a missing gradient
    /// counts as zeros), in one all-reduce over a flat buffer: the gradient-sized
    /// collective that makes every rank take the same optimizer step.
    public func averageGradients(of parameters: [Tensor], _ step: String) throws {
        guard isDistributed, !parameters.isEmpty else { return }
        try withNoGrad {
            let flat = Tensor.cat(parameters.map { ($0.grad ?? $0.zerosLike()).reshaped([-1]) })
            let before = collectiveSeconds
            try collective(step) { try $0.allReduce(flat, op: .sum) }
            gradientAllReduceSeconds += collectiveSeconds - before
            flat.multiply(by: 1 / Double(worldSize))
            var offset = 0
            for parameter in parameters {
                let count = parameter.elementCount
                let slice = flat.slice(dim: 0, offset..<(offset + count)).reshaped(parameter.shape)
                if let gradient = parameter.grad { gradient.copy(from: slice) } else { parameter.grad = slice.clone() }
                offset += count
            }
        }
    }

    /// Throws unless every rank holds `tensors` bit for bit as rank 0 does (compared
    /// by `bitFingerprint`, one 8-byte all-gather): a rank that skipped a step or
    /// applied other gradients stops the run rather than training apart.
    public func requireIdentical(_ tensors: [Tensor], _ step: String) throws {
        guard isDistributed else { return }
        let fingerprint = bitFingerprint(tensors)
        // Two 32-bit halves: a Double holds each exactly.
        let all = try allGather([Double(fingerprint >> 32), Double(fingerprint & 0xFFFF_FFFF)], step)
        let fingerprints = stride(from: 0, to: all.count, by: 2).map { UInt64(all[$0]) << 32 | UInt64(all[$0 + 1]) }
        let differing = fingerprints.indices.filter { fingerprints[$0] != fingerprints[0] }
        guard differing.isEmpty else {
            throw DistributedError(
                rank: rank, worldSize: worldSize, step: step,
                cause: "rank(s) \(differing.map(String.init).joined(separator: ", ")) hold other weights or optimizer "
                    + "state than rank 0",
                advice: "the ranks trained apart, which is a bug: resume from the last checkpoint")
        }
    }

    /// Rank 0's value on every rank.
    public func broadcast(_ value: Bool, _ step: String) throws -> Bool {
        guard isDistributed else { return value }
        let tensor = Tensor([Int64(value ? 1 : 0)])
        try collective(step) { try $0.broadcast(tensor, root: 0) }
        return tensor.itemInt() != 0
    }

    /// Returns once every rank got here.
    public func barrier(_ step: String) throws {
        try collective(step) { try $0.barrier() }
    }

    /// The largest absolute difference between this rank's `values` and rank 0's, over
    /// all ranks (0 for a single process): the check that weights stayed in step.
    public func divergenceFromRankZero(_ values: Tensor, _ step: String) throws -> Double {
        guard isDistributed else { return 0 }
        let reference = values.detached().clone()
        try collective(step) { try $0.broadcast(reference, root: 0) }
        let difference = Tensor([(values.detached() - reference).abs().amax().to(dtype: .float64).item()])
        try collective(step) { try $0.allReduce(difference, op: .max) }
        return difference.item()
    }
}

/// A collective that failed: a rank that died or hung, a network that broke. Names
/// this rank and what it was doing; the cause is c10d's own message.
public struct DistributedError: Error, CustomStringConvertible {
    public var rank: Int
    public var worldSize: Int
    /// What the collective was for, e.g. "averaging gradients (epoch 3, optimizer step 2)".
    public var step: String
    public var cause: String
    /// What to do about it.
    public var advice =
        "another rank probably died or hung (its own log says why); the last complete "
        + "checkpoint is intact: resume from it"

    public init(rank: Int, worldSize: Int, step: String, cause: String, advice: String? = nil) {
        self.rank = rank
        self.worldSize = worldSize
        self.step = step
        self.cause = cause
        if let advice { self.advice = advice }
    }

    public var description: String { "rank \(rank) of \(worldSize): \(step) failed: \(cause); \(advice)" }
}
