import ArgumentParser
import DDPO
import Foundation
import Logging
import Torch

#if canImport(Glibc)
    import Glibc
#endif

/// The Swift side of the side-by-side benchmark: one process runs `--warmup`
/// epochs, then `--epochs` timed ones, and prints one JSON line with the same keys
/// as bench/reference.py. One process per measurement, so the peak RSS is this
/// run's alone (a process's high-water mark never goes down).
struct EpochBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "epoch",
        abstract: "One DDPO epoch (after a warm-up); prints one JSON line of timings and peak RSS.")

    @Option(help: "Diffusers pipeline folder.")
    var model: String = "Tests/Fixtures/tiny-sd1"

    @Option(help: "full (the whole UNet) or lora (rank 4 on to_q/to_k/to_v/to_out.0).")
    var mode: String = "lora"

    @Option(help: "Intra-op threads (libtorch's pool), per worker.")
    var threads: Int = 1

    @Option(help: "Workers sampling batches and computing micro-batches side by side (the `workers` setting).")
    var workers: Int = 1

    @Option(help: "Sampling and training seed.")
    var seed: Int = 0

    @Option(help: "DDIM steps per trajectory.")
    var steps: Int = 20

    @Option(help: "Samples per sampling batch.")
    var sampleBatch: Int = 4

    @Option(help: "Sampling batches per epoch.")
    var sampleBatches: Int = 2

    @Option(help: "Samples per training micro-batch.")
    var trainBatch: Int = 2

    @Option(help: "Micro-batches accumulated per optimizer step (each over every trained timestep).")
    var accumulation: Int = 2

    @Flag(help: "Checkpoint the UNet's layers in the policy update (train.gradient_checkpointing).")
    var gradientCheckpointing = false

    @Option(help: "Untimed epochs first (allocator, kernel selection, lazy initialisation).")
    var warmup: Int = 1

    @Option(help: "Timed epochs (the reported figures are their medians).")
    var epochs: Int = 1

    func validate() throws {
        guard ["full", "lora"].contains(mode) else { throw ValidationError("--mode must be full or lora") }
        guard threads > 0, workers > 0, steps > 0, sampleBatch > 0, sampleBatches > 0, trainBatch > 0, accumulation > 0,
            warmup >= 0, epochs > 0
        else { throw ValidationError("counts must be positive") }
    }

    func run() async throws {
        let processStart = DispatchTime.now()
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-bench-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }
        // The reference's settings (bench/reference.py): AdamW with the trainer's defaults
        // (betas 0.9/0.999, weight decay 1e-4, eps 1e-8, gradient norm clipped to 1),
        // PPO clip 1e-4, CFG 5 when sampling and training, eta 1, batch-wise advantages.
        let learningRate = mode == "lora" ? "3.0e-4" : "1.0e-5"
        let yaml = """
            run_name: bench
            log_dir: \(runs.path)
            seed: \(seed)
            epochs: 1000
            model: \(URL(fileURLWithPath: model).path)
            threads: \(threads)
            workers: \(workers)
            use_lora: \(mode == "lora")
            prompt: simple_animals
            reward: jpeg_compressibility
            sample: {num_steps: \(steps), eta: 1.0, guidance_scale: 5.0, batch_size: \(sampleBatch), num_batches_per_epoch: \(sampleBatches)}
            train: {algorithm: ddpo_is, batch_size: \(trainBatch), gradient_accumulation_steps: \(accumulation), learning_rate: \(learningRate), clip_range: 1.0e-4, num_inner_epochs: 1, timestep_fraction: 1.0, gradient_checkpointing: \(gradientCheckpointing)}
            advantages: {strategy: batch}
            lora: {rank: 4, alpha: 4}
            """
        // Under `ddpo-bench distributed` (or torchrun) this process is one rank: it samples
        // its share of the epoch and averages gradients with the others, as `ddpo train` does.
        var dataParallel = DataParallel.single
        if let launch = try LaunchEnvironment.read(ProcessInfo.processInfo.environment), launch.worldSize > 1 {
            dataParallel = try DataParallel(joining: launch, timeout: .seconds(600))
        }
        let trainer = try Trainer(
            configuration: try TrainingConfiguration.decode(yaml: yaml), dataParallel: dataParallel,
            logger: Logger(label: "bench"))
        let loadSeconds = seconds(since: processStart)
        for _ in 0..<warmup { _ = try await trainer.runEpoch() }
        // The timed epochs' own high-water mark: loading the weights (file and tensors
        // both resident for a moment) can set the process's peak above the epoch's.
        let residentBeforeEpochs = processStatusMebibytes("VmRSS")
        resetPeakRSS()
        var epochSeconds: [Double] = []
        var sampling: [Double] = []
        var training: [Double] = []
        var trainingSeconds: [Double] = []
        var rewardSeconds: [Double] = []
        var allReduce: [Double] = []
        var collectives: [Double] = []
        let samples = Double(sampleBatch * sampleBatches)
        for _ in 0..<epochs {
            let start = DispatchTime.now()
            let report = try await trainer.runEpoch()
            epochSeconds.append(seconds(since: start))
            sampling.append(samples / report.samplingSeconds)
            // Every sample is trained at every step (timestep_fraction 1, one inner epoch).
            training.append(samples * Double(steps) / report.trainingSeconds)
            trainingSeconds.append(report.trainingSeconds)
            rewardSeconds.append(report.rewardWaitSeconds)
            allReduce.append(report.gradientAllReduceSeconds ?? 0)
            collectives.append(report.collectiveSeconds ?? 0)
        }
        let result: [String: Any] = [
            "impl": "swift", "mode": mode, "threads": threads, "workers": workers, "seed": seed, "model": model,
            "samples": Int(samples), "steps": steps, "epochs": epochs, "warmup": warmup,
            "sampling_images_per_s": median(sampling), "train_timesteps_per_s": median(training),
            "epoch_s": median(epochSeconds), "reward_wait_s": median(rewardSeconds), "load_s": loadSeconds,
            "peak_rss_mib": peakRSSMebibytes(), "process_s": seconds(since: processStart),
            "rss_before_epochs_mib": residentBeforeEpochs ?? -1,
            "epochs_peak_rss_mib": processStatusMebibytes("VmHWM") ?? -1,
            "ranks": dataParallel.worldSize, "gradient_allreduce_s": median(allReduce),
            "collectives_s": median(collectives), "gradient_checkpointing": gradientCheckpointing,
            "train_s": median(trainingSeconds),
            "libtorch": Runtime.version
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// A memory line of /proc/self/status ("VmRSS", "VmHWM") in MiB; nil where there is none.
/// (Read with stdio: Foundation sizes a file by its length, which is 0 under /proc.)
func processStatusMebibytes(_ field: String) -> Double? {
    guard let file = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 256)
    while fgets(&buffer, Int32(buffer.count), file) != nil {
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard line.hasPrefix("\(field):") else { continue }
        let kibibytes = line.dropFirst(field.count + 1).split(whereSeparator: \.isWhitespace).first
            .flatMap { Double($0) }
        return kibibytes.map { $0 / 1024 }
    }
    return nil
}

/// Resets the kernel's high-water mark of this process's resident set (VmHWM; Linux,
/// `echo 5 > /proc/self/clear_refs`), so that it measures from here on.
func resetPeakRSS() {
    guard let file = fopen("/proc/self/clear_refs", "w") else { return }
    fputs("5", file)
    fclose(file)
}

/// This process's peak resident set size (getrusage's ru_maxrss, KiB on Linux), in MiB.
func peakRSSMebibytes() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}
