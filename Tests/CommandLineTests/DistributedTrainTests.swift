import Foundation
import TestSupport
import Torch
import XCTest

/// `ddpo train --nproc 2` as a user runs it: two processes on gloo over 127.0.0.1,
/// against one process of the same total batch, through a killed and a hung rank,
/// and resumed.
///
/// The tolerance. With one optimizer step per epoch (batch_size × accumulation = the
/// rank's samples) both runs add up the same per-sample gradients, only in another
/// order: each rank sums its half, then gloo adds the halves. float32 addition is not
/// associative, so a gradient element can differ by a few ulps of the terms it sums.
/// AdamW passes that on unchanged except where an element's gradient is itself a
/// near-cancellation (|g| near AdamW's eps, 1e-8): its step lr·g/(|g| + eps) can then
/// change by a fraction of the learning rate. Hence two bounds: almost every element
/// (all but 1 in 10,000) within 1e-6, and none further than a tenth of the learning
/// rate per optimizer step. Measured: LoRA 1.2e-7 at most after 3 steps; the demo's
/// full fine-tune 1.4e-5 at most (lr 3e-4), 20 of its million weights beyond 1e-6.
/// A gradient summed instead of averaged, or a sample trained twice, moves nearly
/// every element by far more. Later epochs sample with those weights and quantise
/// the images to 8 bits for the reward, which can flip a pixel and then a reward, so
/// the comparison stops after a few epochs.
final class DistributedTrainTests: XCTestCase {
    private var runs: URL!
    private let packageRoot = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()

    override func setUpWithError() throws {
        runs = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-distributed-\(UUID())")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: runs)
    }

    /// `ddpo train` with the tiny configuration and `settings` (`key=value`).
    private func train(
        _ name: String, _ settings: [String], nproc: Int? = nil, config: String = "configs/tiny-compressibility.yaml"
    )
        throws -> DDPOExecutable.Result
    {
        var arguments = trainArguments(
            config: config,
            ["threads=1", "log_dir=\(runs.path)", "run_name=\(name)", "save_freq=1", "checkpoints_kept=5"] + settings)
        if let nproc { arguments += ["--nproc", "\(nproc)"] }
        return try DDPOExecutable.run(arguments, in: packageRoot)
    }

    /// `ddpo train --config config` with each setting as `--set setting`.
    private func trainArguments(config: String = "configs/tiny-compressibility.yaml", _ settings: [String]) -> [String]
    {
        ["train", "--config", config] + settings.flatMap { ["--set", $0] }
    }

    /// The epoch records of a run's metrics.jsonl (monitor readings, lines of their own, left out).
    private func metrics(_ name: String) throws -> [[String: Double]] {
        let text = try String(contentsOf: runs.appendingPathComponent("\(name)/metrics.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            return object.compactMapValues { $0 as? Double }
        }.filter { $0["reward_mean"] != nil }
    }

    private func checkpoint(_ name: String, epoch: Int) -> URL {
        runs.appendingPathComponent(name).appendingPathComponent("checkpoints")
            .appendingPathComponent(String(format: "epoch-%06d", epoch))
    }

    /// The largest element-wise difference between two safetensors files' tensors
    /// (same names required), and the fraction of elements that differ by more than 1e-6.
    private func difference(_ a: URL, _ b: URL) throws -> (max: Double, fractionAbove1e6: Double) {
        let first = try Safetensors.load(a)
        let second = try Safetensors.load(b)
        XCTAssertEqual(Set(first.keys), Set(second.keys), "\(a.lastPathComponent): other tensors")
        XCTAssertFalse(first.isEmpty)
        var largest = 0.0
        var above = 0
        var count = 0
        for name in first.keys {
            let x = first[name]!.to(dtype: .float64).toArray(Double.self)
            let y = second[name]!.to(dtype: .float64).toArray(Double.self)
            for (u, v) in zip(x, y) {
                largest = max(largest, abs(u - v))
                if abs(u - v) > 1e-6 { above += 1 }
            }
            count += x.count
        }
        return (largest, Double(above) / Double(max(count, 1)))
    }

    /// The same total batch on 1 and on 2 processes for `epochs` epochs of one optimizer
    /// step: the same samples (rewards, in order), the same gradient norms, the same
    /// evaluation, weights and optimizer state within the tolerance above.
    private func assertTwoRanksTrainLikeOne(
        config: String, epochs: Int, learningRate: Double, _ settings: [String], one: [String], two: [String]
    ) throws {
        let settings = settings + ["epochs=\(epochs)", "train.learning_rate=\(learningRate)"]
        let single = try train("one", settings + one, config: config)
        XCTAssertEqual(single.status, 0, single.output)
        let pair = try train("two", settings + two, nproc: 2, config: config)
        XCTAssertEqual(pair.status, 0, pair.output)
        XCTAssertTrue(pair.output.contains("ranks=2"), pair.output)

        let (a, b) = (try metrics("one"), try metrics("two"))
        XCTAssertEqual(a.count, epochs)
        XCTAssertEqual(a.count, b.count)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x["reward_mean"], y["reward_mean"])
            XCTAssertEqual(x["reward_std"], y["reward_std"])
            XCTAssertEqual(x["optimizer_steps"], 1)
            XCTAssertEqual(y["optimizer_steps"], 1)
            XCTAssertEqual(x["grad_norm"]!, y["grad_norm"]!, accuracy: 1e-4 * x["grad_norm"]!)
            XCTAssertNil(x["time_gradient_allreduce_s"])
            XCTAssertNotNil(y["time_gradient_allreduce_s"])
        }
        for file in ["trainable.safetensors", "optimizer.safetensors"] {
            let (largest, fraction) = try difference(
                checkpoint("one", epoch: epochs).appendingPathComponent(file),
                checkpoint("two", epoch: epochs).appendingPathComponent(file))
            print("\(config) \(file): 1 vs 2 processes, max |difference| \(largest), beyond 1e-6: \(fraction)")
            XCTAssertLessThanOrEqual(largest, 0.1 * learningRate * Double(epochs), file)
            XCTAssertLessThanOrEqual(fraction, 1e-4, file)
        }
        // Not trivially so: training moved most weights by more than that.
        let moved = try difference(
            checkpoint("two", epoch: 1).appendingPathComponent("trainable.safetensors"),
            checkpoint("two", epoch: epochs).appendingPathComponent("trainable.safetensors"))
        XCTAssertGreaterThan(moved.fractionAbove1e6, 0.1)
        let evaluation = { (name: String) throws -> [Double] in
            let url = self.runs.appendingPathComponent(name).appendingPathComponent("evaluations")
                .appendingPathComponent(String(format: "epoch-%06d.json", epochs))
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
            return try XCTUnwrap(object?["rewards"] as? [Double])
        }
        let (evaluatedOne, evaluatedTwo) = (try evaluation("one"), try evaluation("two"))
        XCTAssertEqual(evaluatedOne.count, evaluatedTwo.count)
        for (x, y) in zip(evaluatedOne, evaluatedTwo) { XCTAssertEqual(x, y, accuracy: 0.005) }
        let state = try String(
            contentsOf: checkpoint("two", epoch: epochs).appendingPathComponent("state.json"), encoding: .utf8)
        XCTAssertTrue(state.contains("\"worldSize\" : 2"), state)
    }

    /// LoRA on the tiny SD1 pipeline: 8 samples per epoch, one optimizer step.
    func testTwoRanksTrainLoRALikeOneProcessOfTheSameTotalBatch() throws {
        try assertTwoRanksTrainLikeOne(
            config: "configs/tiny-compressibility.yaml", epochs: 3, learningRate: 3e-4, ["sample.num_steps=4"],
            one: ["sample.num_batches_per_epoch=2", "train.gradient_accumulation_steps=4"],
            two: ["sample.num_batches_per_epoch=1", "train.gradient_accumulation_steps=2"])
    }

    /// The demo's configuration (the bundled model, full fine-tuning, group advantages
    /// whose groups span ranks), shortened, and training every timestep: a
    /// timestep_fraction below 1 draws each sample's trained steps from its rank's
    /// training generator, so those would differ from one process's draws.
    func testTwoRanksTrainTheDemoLikeOneProcessOfTheSameTotalBatch() throws {
        try assertTwoRanksTrainLikeOne(
            config: "configs/shapes-compressibility.yaml", epochs: 2, learningRate: 3e-4,
            [
                "sample.num_steps=4", "sample.batch_size=4", "eval_images=4", "train.batch_size=4",
                "train.timestep_fraction=1"
            ],
            one: ["sample.num_batches_per_epoch=2", "train.gradient_accumulation_steps=2"],
            two: ["sample.num_batches_per_epoch=1", "train.gradient_accumulation_steps=1"])
    }

    /// Stopped after 2 epochs and resumed on 2 processes: the third epoch is the
    /// uninterrupted run's, bit for bit.
    func testAResumedTwoRankRunContinuesExactly() throws {
        let whole = try train("whole", ["epochs=3", "sample.num_steps=4"], nproc: 2)
        XCTAssertEqual(whole.status, 0, whole.output)
        let part = try train("part", ["epochs=2", "sample.num_steps=4"], nproc: 2)
        XCTAssertEqual(part.status, 0, part.output)
        let resumed = try DDPOExecutable.run(
            ["train", "--resume", runs.appendingPathComponent("part").path, "--set", "epochs=3", "--nproc", "2"],
            in: packageRoot)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertFalse(resumed.output.contains("resuming a run of"), resumed.output)
        for file in ["trainable.safetensors", "optimizer.safetensors"] {
            let a = try Data(contentsOf: checkpoint("whole", epoch: 3).appendingPathComponent(file))
            let b = try Data(contentsOf: checkpoint("part", epoch: 3).appendingPathComponent(file))
            XCTAssertEqual(a, b, file)
        }
        XCTAssertEqual(try metrics("whole").last?["reward_mean"], try metrics("part").last?["reward_mean"])
        // On one process it goes on, and says what changes.
        let single = try DDPOExecutable.run(
            ["train", "--resume", runs.appendingPathComponent("part").path, "--set", "epochs=4"], in: packageRoot)
        XCTAssertEqual(single.status, 0, single.output)
        XCTAssertTrue(single.output.contains("resuming a run of 2 process(es) on 1"), single.output)
    }

    /// Starts a long 2-rank run, waits for its second checkpoint, then does `harm` to
    /// rank 1; returns the launcher's exit status, output and the seconds it took to end.
    private func harmRankOne(
        _ name: String, timeout: Int, _ harm: (pid_t) -> Void
    ) throws -> (status: Int32?, output: String, seconds: Double) {
        let arguments =
            trainArguments([
                "threads=1", "log_dir=\(runs.path)", "run_name=\(name)", "save_freq=1", "epochs=1000",
                "sample.num_steps=4", "distributed_timeout=\(timeout)"
            ]) + ["--nproc", "2"]
        let launcher = try RunningProcess(DDPOExecutable.url.path, arguments, in: packageRoot)
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint(name, epoch: 2).path) && Date() < deadline
            && launcher.process.isRunning
        {
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint(name, epoch: 2).path), launcher.output)
        // "launched master=127.0.0.1:PORT pids="[RANK0, RANK1]" ranks=2"
        let pids = try XCTUnwrap(launcher.output.components(separatedBy: "pids=\"[").dropFirst().first, launcher.output)
        let rankOne = try XCTUnwrap(
            pid_t(pids.prefix { $0 != "]" }.split(separator: ",").last?.trimmingCharacters(in: .whitespaces) ?? ""),
            launcher.output)
        let start = Date()
        harm(rankOne)
        let status = launcher.wait(seconds: 60)
        return (status, launcher.output, Date().timeIntervalSince(start))
    }

    /// The other rank's next collective fails at once (the dead peer's sockets are
    /// closed), long before the timeout; the launcher names the killed rank; the run
    /// resumes from its last complete checkpoint.
    func testAKilledRankEndsTheRunWithAClearErrorAndTheRunResumes() throws {
        let (status, output, seconds) = try harmRankOne("killed", timeout: 120) { kill($0, SIGKILL) }
        XCTAssertNotNil(status, "the launcher did not end: \(output)")
        XCTAssertNotEqual(status, 0)
        XCTAssertLessThan(seconds, 30, output)
        XCTAssertTrue(output.contains("Error: rank 0 of 2: "), output)
        XCTAssertTrue(output.contains("another rank probably died or hung"), output)
        XCTAssertTrue(output.contains("rank 1 of 2 was killed by signal 9"), output)

        let checkpoints = try FileManager.default.contentsOfDirectory(
            atPath: runs.appendingPathComponent("killed/checkpoints").path
        ).filter { $0.hasPrefix("epoch-") }.sorted()
        let last = try XCTUnwrap(Int(try XCTUnwrap(checkpoints.last).dropFirst("epoch-".count)))
        let resumed = try DDPOExecutable.run(
            [
                "train", "--resume", runs.appendingPathComponent("killed").path, "--set", "epochs=\(last + 1)",
                "--nproc", "2"
            ], in: packageRoot)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(resumed.output.contains("epoch=\(last)"), resumed.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint("killed", epoch: last + 1).path))
    }

    /// A rank that stops answering cannot be told from a slow one: the other fails
    /// when `distributed_timeout` runs out, and the launcher ends the stopped rank.
    func testAHungRankMakesTheOtherStopAfterTheTimeout() throws {
        let (status, output, seconds) = try harmRankOne("hung", timeout: 3) { kill($0, SIGSTOP) }
        XCTAssertNotNil(status, "the launcher did not end: \(output)")
        XCTAssertNotEqual(status, 0)
        XCTAssertGreaterThanOrEqual(seconds, 2.5, output)
        XCTAssertTrue(output.contains("Error: rank 0 of 2: "), output)
        XCTAssertTrue(output.contains("timeout 3000 ms"), output)
        XCTAssertTrue(output.contains("rank 0 of 2 exited with status 1"), output)
    }

    /// The default run name is the time the configuration was read, in each process:
    /// the ranks take rank 0's, so there is one run folder.
    func testRanksShareOneDefaultRunFolder() throws {
        let tiny = try String(
            contentsOf: packageRoot.appendingPathComponent("configs/tiny-compressibility.yaml"), encoding: .utf8)
        let unnamed = tiny.split(separator: "\n").filter { !$0.hasPrefix("run_name:") }.joined(separator: "\n")
        let config = runs.appendingPathComponent("unnamed.yaml")
        let logs = runs.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: runs, withIntermediateDirectories: true)
        try unnamed.write(to: config, atomically: true, encoding: .utf8)
        let result = try DDPOExecutable.run(
            [
                "train", "--config", config.path, "--nproc", "2", "--set", "log_dir=\(logs.path)", "--set", "epochs=1",
                "--set", "sample.num_steps=2", "--set", "threads=1"
            ],
            in: packageRoot)
        XCTAssertEqual(result.status, 0, result.output)
        let folders = try FileManager.default.contentsOfDirectory(atPath: logs.path)
        XCTAssertEqual(folders.count, 1, "\(folders)")
    }

    /// scripts/ddpo-slurm as `srun` would start it on one node: two tasks with Slurm's
    /// variables (the rendezvous given explicitly, as no scontrol is here).
    func testTheSlurmWrapperStartsTheRanks() throws {
        let wrapper = packageRoot.appendingPathComponent("scripts/ddpo-slurm").path
        let port = try ProcessGroup.freeLoopbackPort()
        let arguments = trainArguments([
            "log_dir=\(runs.path)", "run_name=slurm", "epochs=1", "sample.num_steps=2", "threads=1"
        ])
        let tasks = try (0..<2).map { task in
            try RunningProcess(
                wrapper, arguments,
                environment: [
                    "SLURM_PROCID": "\(task)", "SLURM_NTASKS": "2", "SLURM_LOCALID": "\(task)", "SLURM_JOB_ID": "77",
                    "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "\(port)", "DDPO": DDPOExecutable.url.path
                ], in: packageRoot)
        }
        for task in tasks { XCTAssertEqual(task.wait(seconds: 120), 0, task.output) }
        XCTAssertTrue(tasks[0].output.contains("rank=0"), tasks[0].output)
        let state = try String(
            contentsOf: checkpoint("slurm", epoch: 1).appendingPathComponent("state.json"), encoding: .utf8)
        XCTAssertTrue(state.contains("\"worldSize\" : 2"), state)

        let outside = try RunningProcess(wrapper, ["train"], environment: ["SLURM_PROCID": "", "SLURM_NTASKS": ""])
        XCTAssertEqual(outside.wait(seconds: 30), 2)
        XCTAssertTrue(outside.output.contains("SLURM_PROCID is not set"), outside.output)
    }

    func testLaunchMistakesAreExplained() throws {
        let config = ["--config", "configs/tiny-compressibility.yaml", "--set", "log_dir=\(runs.path)"]
        let halfSet = try RunningProcess(
            DDPOExecutable.url.path, ["train"] + config, environment: ["RANK": "0"], in: packageRoot)
        XCTAssertNotEqual(halfSet.wait(seconds: 60), 0)
        XCTAssertTrue(halfSet.output.contains("environment variable WORLD_SIZE is not set"), halfSet.output)

        let nested = try RunningProcess(
            DDPOExecutable.url.path, ["train", "--nproc", "2"] + config, environment: ["RANK": "0", "WORLD_SIZE": "2"],
            in: packageRoot)
        XCTAssertNotEqual(nested.wait(seconds: 60), 0)
        XCTAssertTrue(nested.output.contains("drop --nproc"), nested.output)

        let zero = try DDPOExecutable.run(["train", "--nproc", "0"] + config, in: packageRoot)
        XCTAssertNotEqual(zero.status, 0)
        XCTAssertTrue(zero.output.contains("--nproc must be 1...1024, got 0"), zero.output)
    }
}
