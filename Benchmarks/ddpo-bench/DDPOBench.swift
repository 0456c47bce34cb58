// Benchmarks of swift-ddpo. `micro` (the default): the cost of one op through the
// shim, a conv2d forward + backward (kernel time, the same kernels PyTorch runs),
// sampling and a DDPO epoch on the tiny pipeline, each the median of several timed
// repeats after a warm-up. `epoch` and `make-sd15`: the Swift side of the
// side-by-side comparison with bench/reference.py (driven by bench/side_by_side.py),
// one measured epoch per process so that each process's peak RSS is its own.
import ArgumentParser
import DDPO
import DiffusionModels
import Files
import Foundation
import Logging
import Torch

struct Measurement: Codable {
    var name: String
    var threads: Int
    var unit: String
    var median: Double
    var samples: [Double]
}

@main
struct DDPOBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ddpo-bench", abstract: "Benchmarks of swift-ddpo.",
        subcommands: [Micro.self, EpochBench.self, DistributedBench.self, MakeSD15.self], defaultSubcommand: Micro.self)
}

struct Micro: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "micro", abstract: "Micro-benchmarks and the tiny DDPO epoch (medians of repeats).")

    @Option(help: "Comma-separated intra-op thread counts to run at.")
    var threads: String = "1,2"

    @Option(help: "Timed repeats per benchmark (the median is reported).")
    var repeats: Int = 7

    @Option(help: "Also write the measurements as JSON to this file.")
    var json: String?

    @Option(help: "Diffusers pipeline folder for the sampling benchmark.")
    var pipeline: String = "Tests/Fixtures/tiny-sd1"

    func validate() throws {
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
        guard !threadCounts.isEmpty else { throw ValidationError("--threads must list positive integers, e.g. 1,2") }
    }

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 } }

    func run() async throws {
        print("libtorch \(Runtime.version); medians of \(repeats) repeats")
        let model = try StableDiffusion.load(directory: URL(fileURLWithPath: pipeline))
        let sampler = TrajectorySampler(model: model)
        var results: [Measurement] = []
        for count in threadCounts {
            Runtime.threadCount = count
            results.append(
                measure("op dispatch (add, 4 elements)", threads: count, unit: "µs/op") {
                    let a = Tensor.ones([4])
                    let b = Tensor.ones([4])
                    let iterations = 20_000
                    let start = DispatchTime.now()
                    for _ in 0..<iterations { _ = a + b }
                    return seconds(since: start) / Double(iterations) * 1e6
                })
            results.append(
                measure("conv2d 3x3 64->64 fwd+bwd [8,64,32,32]", threads: count, unit: "ms") {
                    let generator = Generator(seed: 0)
                    let x = Tensor.randn([8, 64, 32, 32], generator: generator).requiringGrad()
                    let w = (Tensor.randn([64, 64, 3, 3], generator: generator) * 0.05).requiringGrad()
                    let start = DispatchTime.now()
                    let y = conv2d(x, weight: w, padding: 1)
                    y.sum().backward()
                    return seconds(since: start) * 1e3
                })
            results.append(
                measure("sampling, tiny SD1: 20 steps, CFG 5, batch 4", threads: count, unit: "images/s") {
                    let start = DispatchTime.now()
                    _ = sampler.sample(
                        prompts: Array(repeating: "a red circle", count: 4),
                        options: SamplingOptions(steps: 20, guidanceScale: 5, eta: 1),
                        generator: Generator(seed: 0))
                    return 4 / seconds(since: start)
                })
        }
        for count in threadCounts {
            results.append(try await measureEpoch(threads: count, workers: 1))
        }
        // The same cores as `workers` of one intra-op thread each.
        for count in threadCounts where count > 1 {
            results.append(try await measureEpoch(threads: 1, workers: count))
        }
        for r in results {
            print(
                String(
                    format: "%-60@ threads=%d  %10.3f %@", r.name as NSString, r.threads, r.median, r.unit as NSString))
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(path: json, bytes: Array(try encoder.encode(results)))
            print("wrote \(json)")
        }
    }

    /// One DDPO epoch on the tiny pipeline: 8 samples, 20 steps, CFG 5, train batch 2,
    /// accumulation 2, LoRA rank 4, JPEG reward; sampling, rewards and the update.
    /// Reported under threads × workers (the cores it uses).
    func measureEpoch(threads: Int, workers: Int) async throws -> Measurement {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-bench-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        let yaml = """
            run_name: bench
            log_dir: \(runs.path)
            epochs: 1000
            model: \(URL(fileURLWithPath: pipeline).path)
            threads: \(threads)
            workers: \(workers)
            prompt: simple_animals
            reward: jpeg_compressibility
            sample: {num_steps: 20, guidance_scale: 5.0, batch_size: 4, num_batches_per_epoch: 2}
            train: {batch_size: 2, gradient_accumulation_steps: 2}
            advantages: {strategy: batch}
            """
        let trainer = try Trainer(
            configuration: try TrainingConfiguration.decode(yaml: yaml),
            logger: Logger(label: "bench"))
        _ = try await trainer.runEpoch()  // warm-up
        var samples: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now()
            _ = try await trainer.runEpoch()
            samples.append(seconds(since: start))
        }
        let name = "DDPO epoch, tiny SD1: 8 samples, 20 steps, LoRA" + (workers > 1 ? ", \(workers) workers" : "")
        return Measurement(
            name: name, threads: threads * workers, unit: "s",
            median: median(samples), samples: samples)
    }

    func measure(_ name: String, threads: Int, unit: String, _ body: () -> Double) -> Measurement {
        _ = body()  // warm-up: allocator, kernel selection
        let samples = (0..<repeats).map { _ in body() }
        return Measurement(name: name, threads: threads, unit: unit, median: median(samples), samples: samples)
    }
}

func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
