// One rank of a multi-process check of `ProcessGroup` (c10d Gloo). Start one process per
// rank with the same --world-size and --port; Tests/TorchTests/ProcessGroupTests.swift
// does that, and on a machine with a GPU two of them sharing it check CUDA tensors:
//
//   process-group-check --rank 0 --world-size 2 --port 29500 --device cuda &
//   process-group-check --rank 1 --world-size 2 --port 29500 --device cuda
//
// Scenarios:
//   collectives  all-reduce (sum of a 1,048,576-element float32 tensor and of a strided
//                view, average, max; float64, int64), broadcast, all-gather and barrier,
//                each result checked against the values computed here
//   exit-early   after one all-reduce the last rank exits; the others' next all-reduce
//                must throw
//   stall        after one all-reduce the last rank sleeps for three timeouts; the others'
//                next all-reduce must throw when the timeout runs out
//
// Prints one tab-separated line per step on stdout: "ok NAME SECONDS" (the step with its
// checks), "time NAME SECONDS" (the collective alone), "error NAME SECONDS MESSAGE" (an
// expected error), or "FAIL NAME DETAIL"; exits 0 when
// every check passed, 1 when one failed, 2 when joining the group failed (after printing
// "error init SECONDS MESSAGE").
import Foundation
import Torch

struct Options {
    var rank = 0
    var worldSize = 2
    var port = 0
    var timeoutMilliseconds = 10_000
    var scenario = "collectives"
    var device = Device.cpu

    init(_ arguments: [String]) {
        var i = 0
        func value() -> String {
            i += 1
            guard i < arguments.count else { usage("\(arguments[i - 1]) needs a value") }
            return arguments[i]
        }
        func integer() -> Int {
            let text = value()
            guard let n = Int(text) else { usage("\(arguments[i - 1]) needs an integer, not '\(text)'") }
            return n
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--rank": rank = integer()
            case "--world-size": worldSize = integer()
            case "--port": port = integer()
            case "--timeout-ms": timeoutMilliseconds = integer()
            case "--scenario": scenario = value()
            case "--device":
                switch value() {
                case "cpu": device = .cpu
                case "cuda": device = .cuda(0)
                case let other: usage("unknown device '\(other)' (cpu or cuda)")
                }
            case let other: usage("unknown argument '\(other)'")
            }
            i += 1
        }
        if port == 0 { usage("--port is required") }
    }
}

func usage(_ message: String) -> Never {
    FileHandle.standardError.write(Data("process-group-check: \(message)\n".utf8))
    exit(64)
}

func report(_ fields: String...) {
    print(fields.joined(separator: "\t"))
    fflush(stdout)
}

func seconds(_ duration: Duration) -> String {
    String(format: "%.4f", Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18)
}

var failed = false

/// Runs one collective; records a thrown error or a wrong result as a failure.
func step(_ name: String, _ body: () throws -> String?) {
    let clock = ContinuousClock()
    let start = clock.now
    do {
        if let problem = try body() {
            failed = true
            report("FAIL", name, problem)
        } else {
            report("ok", name, seconds(clock.now - start))
        }
    } catch {
        failed = true
        report("FAIL", name, "\(error)")
    }
}

/// nil when `tensor` holds exactly `expected`, else the first difference.
func mismatch<T: TensorElement & Equatable>(_ tensor: Tensor, _ expected: [T]) -> String? {
    let values = tensor.to(device: .cpu).toArray(T.self)
    guard values.count == expected.count else { return "\(values.count) values, expected \(expected.count)" }
    for i in values.indices where values[i] != expected[i] {
        return "value \(i) is \(values[i]), expected \(expected[i])"
    }
    return nil
}

func collectives(_ group: ProcessGroup, device: Device) {
    let rank = group.rank
    let size = group.worldSize
    let rankSum = size * (size + 1) / 2  // sum over ranks of (rank + 1)

    // Rank r contributes (r + 1) * i; every partial sum stays below 2^24, so float32 is exact.
    let n = 1 << 20
    step("allreduce-sum-float32-1M") {
        let t = Tensor.arange(0, Double(n), dtype: .float32, device: device) * Double(rank + 1)
        let clock = ContinuousClock()
        let start = clock.now
        try group.allReduce(t)
        report("time", "allreduce-sum-float32-1M", seconds(clock.now - start))
        return mismatch(t, (0..<n).map { Float($0 * rankSum) })
    }
    step("allreduce-sum-float64") {
        let t = Tensor([0.5, -1.25, 3.0].map { $0 * Double(rank + 1) }).to(device: device)
        try group.allReduce(t)
        return mismatch(t, [0.5, -1.25, 3.0].map { $0 * Double(rankSum) })
    }
    step("allreduce-sum-int64") {
        let t = Tensor([Int64(1) << 40, -7, 0].map { $0 * Int64(rank + 1) }).to(device: device)
        try group.allReduce(t)
        return mismatch(t, [Int64(1) << 40, -7, 0].map { $0 * Int64(rankSum) })
    }
    step("allreduce-sum-strided") {
        // A transposed view: Gloo works on a dense copy, which is copied back into the view.
        let base = Tensor.arange(0, 6, dtype: .float32, device: device).reshaped([2, 3]) * Double(rank + 1)
        let view = base.transposed(0, 1)
        guard !view.isContiguous else { return "the transposed view is contiguous" }
        try group.allReduce(view)
        return mismatch(base, (0..<6).map { Float($0 * rankSum) })
    }
    step("allreduce-average-float32") {
        let t = Tensor.full([4], value: Double(rank), device: device)
        try group.allReduce(t, op: .average)
        return mismatch(t, [Float](repeating: Float(size - 1) / 2, count: 4))
    }
    step("allreduce-max-int64") {
        let t = Tensor([Int64(rank), Int64(-rank)]).to(device: device)
        try group.allReduce(t, op: .max)
        return mismatch(t, [Int64(size - 1), 0])
    }
    step("broadcast-float32") {
        let root = size - 1
        let t = Tensor.full([3, 5], value: rank == root ? 42.5 : -1, device: device)
        try group.broadcast(t, root: root)
        return mismatch(t, [Float](repeating: 42.5, count: 15))
    }
    step("broadcast-int64") {
        let t = Tensor([Int64(rank * 100 + 1), Int64(rank)]).to(device: device)
        try group.broadcast(t, root: 0)
        return mismatch(t, [Int64(1), 0])
    }
    step("allgather-float64") {
        let t = (Tensor.arange(0, 6, dtype: .float64, device: device) + Double(10 * rank)).reshaped([2, 3])
        let gathered = try group.allGather(t)
        guard gathered.count == size else { return "\(gathered.count) tensors for \(size) ranks" }
        for (r, g) in gathered.enumerated() {
            if g.shape != [2, 3] { return "rank \(r)'s tensor has shape \(g.shape)" }
            if let problem = mismatch(g, (0..<6).map { Double($0 + 10 * r) }) {
                return "rank \(r)'s tensor: \(problem)"
            }
        }
        return nil
    }
    step("allgather-int64") {
        let gathered = try group.allGather(Tensor([Int64(rank)]).to(device: device))
        return mismatch(Tensor.cat(gathered), (0..<size).map(Int64.init))
    }
    step("barrier") {
        try group.barrier()
        return nil
    }
}

/// The last rank leaves (exits, or stalls for three timeouts); the others' next
/// all-reduce must throw, which is reported as an expected "error" line.
func lostPeer(_ group: ProcessGroup, device: Device, stall: Bool) {
    step("allreduce-warmup") {
        let t = Tensor.ones([8], device: device)
        try group.allReduce(t)
        return mismatch(t, [Float](repeating: Float(group.worldSize), count: 8))
    }
    if group.rank == group.worldSize - 1 {
        if stall {
            Thread.sleep(forTimeInterval: 3 * Double(group.timeout.components.seconds) + 1)
        }
        _exit(0)  // no clean-up, no leaving the group: as a crash would
    }
    let clock = ContinuousClock()
    let start = clock.now
    do {
        try group.allReduce(Tensor.ones([1 << 20], device: device))
        failed = true
        report("FAIL", "allreduce-lost-peer", "no error although rank \(group.worldSize - 1) is gone")
    } catch {
        let message = "\(error)".replacingOccurrences(of: "\n", with: " ")
        report("error", "allreduce-lost-peer", seconds(clock.now - start), message)
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let clock = ContinuousClock()
let joinStart = clock.now
var group: ProcessGroup?
do {
    try options.device.checkAvailable()
    group = try ProcessGroup(
        port: options.port, rank: options.rank, worldSize: options.worldSize,
        timeout: .milliseconds(options.timeoutMilliseconds))
} catch {
    report("error", "init", seconds(clock.now - joinStart), "\(error)".replacingOccurrences(of: "\n", with: " "))
    exit(2)
}
report("ok", "init", seconds(clock.now - joinStart))

switch options.scenario {
case "collectives": collectives(group!, device: options.device)
case "exit-early": lostPeer(group!, device: options.device, stall: false)
case "stall": lostPeer(group!, device: options.device, stall: true)
default: usage("unknown scenario '\(options.scenario)'")
}
// Leaving the group joins Gloo's threads (after a lost peer too): it must not hang.
let leaveStart = clock.now
group = nil
report("ok", "leave", seconds(clock.now - leaveStart))
exit(failed ? 1 : 0)
