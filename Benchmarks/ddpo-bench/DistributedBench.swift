import ArgumentParser
import DDPO
import Foundation
import Torch

/// Data parallel on this machine: one epoch of the same total batch as 1 process ×
/// 1 thread, 1 process with 2 workers (threads side by side in one process) and 2
/// processes × 1 thread (gloo over 127.0.0.1), for LoRA and full fine-tuning. Each
/// measurement is a fresh `ddpo-bench epoch` process (2 for the 2-rank one, each
/// sampling half the batches); the three are run in turn `--repeats` times, so a busy
/// machine slows them alike, and medians are printed with the gradient all-reduce's
/// share of the 2-rank epoch.
struct DistributedBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distributed",
        abstract: "Epoch time on 2 processes against 1 process (1 thread, 2 workers); prints a table, saves JSON.")

    @Option(help: "Diffusers pipeline folder (default: the bundled model of the demo).")
    var model: String = "models/shapes-tiny"

    @Option(help: "DDIM steps per trajectory.")
    var steps: Int = 10

    @Option(help: "Samples per sampling batch.")
    var sampleBatch: Int = 8

    @Option(help: "Rounds of the three set-ups.")
    var repeats: Int = 3

    @Option(help: "Where to write the measurements as JSON.")
    var json: String?

    /// One set-up: its label, process count, workers.
    private static let setups: [(label: String, processes: Int, workers: Int)] = [
        ("1 process × 1 thread", 1, 1), ("1 process, workers 2", 1, 2), ("2 processes × 1 thread", 2, 1)
    ]

    func run() throws {
        var rows: [[String: Any]] = []
        print("One epoch of \(2 * sampleBatch) samples (\(steps) DDIM steps), \(model); medians of \(repeats)")
        print("mode | " + Self.setups.map(\.label).joined(separator: " | ") + " | all-reduce share (2 processes)")
        for mode in ["lora", "full"] {
            var epochSeconds = Array(repeating: [Double](), count: Self.setups.count)
            var allReduceShare: [Double] = []
            for _ in 0..<repeats {
                for (index, setup) in Self.setups.enumerated() {
                    let result = try measure(mode: mode, processes: setup.processes, workers: setup.workers)
                    let epoch = result["epoch_s"] as? Double ?? .nan
                    epochSeconds[index].append(epoch)
                    if setup.processes == 2 {
                        allReduceShare.append((result["gradient_allreduce_s"] as? Double ?? .nan) / epoch)
                    }
                }
            }
            let medians = epochSeconds.map(median)
            let cells = medians.enumerated().map { index, value in
                index == 0
                    ? String(format: "%.2f s", value)
                    : String(format: "%.2f s (%.2f×)", value, value / medians[0])
            }
            print(
                "\(mode) | " + cells.joined(separator: " | ")
                    + String(format: " | %.1f%%", 100 * median(allReduceShare)))
            for (index, setup) in Self.setups.enumerated() {
                rows.append([
                    "mode": mode, "setup": setup.label, "processes": setup.processes, "workers": setup.workers,
                    "epoch_s": epochSeconds[index], "epoch_s_median": medians[index],
                    "gradient_allreduce_share_median": setup.processes == 2 ? median(allReduceShare) : 0
                ])
            }
        }
        if let json {
            let data = try JSONSerialization.data(
                withJSONObject: ["model": model, "steps": steps, "samples": 2 * sampleBatch, "rows": rows],
                options: [.sortedKeys, .prettyPrinted])
            try data.write(to: URL(fileURLWithPath: json))
        }
    }

    /// Starts the set-up's processes and returns rank 0's JSON line.
    private func measure(mode: String, processes: Int, workers: Int) throws -> [String: Any] {
        let port = try ProcessGroup.freeLoopbackPort()
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var children: [(process: Process, output: Pipe)] = []
        for rank in 0..<processes {
            let process = Process()
            process.executableURL = executable
            process.arguments = [
                "epoch", "--model", model, "--mode", mode, "--threads", "1", "--workers", "\(workers)",
                "--steps", "\(steps)", "--sample-batch", "\(sampleBatch)", "--sample-batches", "\(2 / processes)",
                "--train-batch", "\(sampleBatch / 2)", "--accumulation", "\(2 / processes)"
            ]
            var environment = ProcessInfo.processInfo.environment
            if processes > 1 {
                environment.merge(LaunchEnvironment.localVariables(rank: rank, worldSize: processes, port: port)) {
                    _, new in new
                }
            }
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            children.append((process, output))
        }
        // Read before waiting: a full pipe would block the child.
        let outputs = children.map {
            String(decoding: $0.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        for (rank, child) in children.enumerated() {
            child.process.waitUntilExit()
            guard child.process.terminationStatus == 0 else {
                throw ValidationError(
                    "ddpo-bench epoch (rank \(rank) of \(processes)) exited with status "
                        + "\(child.process.terminationStatus)")
            }
        }
        guard let line = outputs[0].split(separator: "\n").last,
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { throw ValidationError("ddpo-bench epoch printed no JSON line: \(outputs[0])") }
        return object
    }
}
