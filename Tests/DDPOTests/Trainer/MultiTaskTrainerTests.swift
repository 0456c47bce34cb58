import DiffusionModels
import Foundation
import Logging
import Reports
import Torch
import TorchNN
import XCTest

@testable import DDPO

/// Multi-task runs on the tiny random SD1 model: per-task sampling, rewards,
/// metrics, evaluations and checkpoints, and the two update modes.
final class MultiTaskTrainerTests: TinyRunTestCase {
    /// 2 tasks × 4 samples per epoch (2 batches of 2), train batches of 2: 2 optimizer steps per task.
    private func configuration(
        _ name: String, _ overrides: [String] = [], weights: (Double, Double) = (1, 1),
        strategy: String = "batch"
    ) throws -> TrainingConfiguration {
        let yaml = tinyRunYAML(
            name: name, runs: runs,
            [
                "eval_images": "2", "prompt": nil, "reward": nil,
                "advantages": "{strategy: \(strategy), per_prompt_min_count: 2}",
                "tasks": """

                  - name: small
                    prompt: {name: fixed, prompts: ["a red circle", "a blue square"]}
                    reward: jpeg_compressibility
                    weight: \(weights.0)
                  - name: large
                    prompt: {name: fixed, prompts: ["a red circle", "a blue square"]}
                    reward: jpeg_incompressibility
                    weight: \(weights.1)
                """
            ])
        return try TrainingConfiguration.decode(yaml: yaml, overrides: overrides)
    }

    func testEachTaskSamplesItsOwnPromptsAndNoiseAndUsesItsOwnReward() async throws {
        let trainer = try Trainer(
            configuration: configuration("own", ["epochs=1"]), catalogue: .tests(), logger: logger)
        XCTAssertEqual(trainer.tasks.map(\.seed), [5, RunSeeds.taskSeed(5, task: 1)])
        let report = try await trainer.runEpoch()
        XCTAssertEqual(report.tasks.map(\.name), ["small", "large"])
        XCTAssertEqual(report.tasks.map(\.rewards.count), [4, 4])
        XCTAssertEqual(report.rewards, report.tasks[0].rewards + report.tasks[1].rewards)
        // Compressibility is -kB, incompressibility +kB: the signs tell the rewards apart.
        XCTAssertTrue(report.tasks[0].rewards.allSatisfy { $0 < 0 }, "\(report.tasks[0].rewards)")
        XCTAssertTrue(report.tasks[1].rewards.allSatisfy { $0 > 0 }, "\(report.tasks[1].rewards)")
        // Different seeds: the images differ, so |reward| differs (the same image would give -r and r).
        XCTAssertNotEqual(report.tasks[0].rewards.map { -$0 }, report.tasks[1].rewards)
        let promptDraws = trainer.tasks.map { $0.prompts.prompts(epoch: 0, firstSample: 0, count: 16) }
        XCTAssertNotEqual(promptDraws[0], promptDraws[1], "the same prompt set is drawn with each task's seed")
    }

    func testSequentialTakesOneUpdatePerTaskAndLogsEach() async throws {
        let trainer = try Trainer(
            configuration: configuration("sequential", ["epochs=1"]), catalogue: .tests(), logger: logger)
        let report = try await trainer.runEpoch()
        // 2 tasks × (4 samples / batch 2) × 1 inner epoch.
        XCTAssertEqual(report.update.optimizerSteps, 4)
        XCTAssertEqual(report.update.steps.count, 4)
        XCTAssertEqual(report.tasks.map { $0.update?.optimizerSteps }, [2, 2])
        XCTAssertEqual(trainer.globalStep, 4)
        let scalars = report.scalars
        for task in ["small", "large"] {
            for metric in [
                "reward_mean", "reward_std", "advantage_mean", "advantage_std", "dropped_samples",
                "loss", "approx_kl", "clipfrac", "grad_norm", "optimizer_steps"
            ] {
                XCTAssertNotNil(scalars["\(metric)/\(task)"], "\(metric)/\(task)")
            }
        }
        XCTAssertEqual(scalars["optimizer_steps/small"], 2)
        XCTAssertEqual(scalars["optimizer_steps"], 4)
        let smallMean = report.tasks[0].rewards.reduce(0, +) / 4
        XCTAssertEqual(scalars["reward_mean/small"]!, smallMean, accuracy: 1e-12)
        XCTAssertEqual(
            scalars["reward_mean"]!, (report.tasks[0].rewards + report.tasks[1].rewards).reduce(0, +) / 8,
            accuracy: 1e-12)
    }

    func testWeightedSumTakesOneUpdateOverAllTasksSamples() async throws {
        let trainer = try Trainer(
            configuration: configuration("weighted", ["epochs=1", "multi_task_update=weighted_sum"]),
            catalogue: .tests(), logger: logger)
        let report = try await trainer.runEpoch()
        // 8 samples / batch 2: the same step count as sequential, in one update.
        XCTAssertEqual(report.update.optimizerSteps, 4)
        XCTAssertEqual(report.tasks.map { $0.update == nil }, [true, true])
        XCTAssertNotNil(report.scalars["reward_mean/large"])
        XCTAssertNil(report.scalars["loss/large"], "no per-task update to report")
    }

    func testTheWeightScalesTheTasksLoss() async throws {
        // One task, so the first micro-batches see the same samples and the same policy:
        // the clipped PPO loss is positively homogeneous in the advantages.
        func firstStepLoss(weight: Double, run: String) async throws -> Double {
            var c = try configuration(run, ["epochs=1"])
            c.tasks = [c.tasks![0]]
            c.tasks![0].weight = weight
            let report = try await Trainer(configuration: c, catalogue: .tests(), logger: logger).runEpoch()
            return report.update.steps[0].loss
        }
        let one = try await firstStepLoss(weight: 1, run: "w1")
        let four = try await firstStepLoss(weight: 4, run: "w4")
        XCTAssertNotEqual(one, 0)
        XCTAssertEqual(four, 4 * one, accuracy: 1e-6 * abs(one))
    }

    func testOneListedTaskTrainsExactlyAsTheSameSingleTaskRun() async throws {
        // Task 0 keeps the run seed, so `tasks:` with one entry of weight 1 is the plain run.
        var listed = try configuration("listed", ["epochs=1"])
        listed.tasks = [listed.tasks![0]]
        var single = listed
        single.runName = "single"
        single.tasks = nil
        single.prompt = listed.tasks![0].prompt
        single.reward = listed.tasks![0].reward
        let a = try Trainer(configuration: listed, catalogue: .tests(), logger: logger)
        let b = try Trainer(configuration: single, catalogue: .tests(), logger: logger)
        _ = try await a.runEpoch()
        _ = try await b.runEpoch()
        for (x, y) in zip(a.model.unet.loraParameters(), b.model.unet.loraParameters()) {
            XCTAssertEqual(x.tensor.bytes(), y.tensor.bytes(), x.name)
        }
    }

    func testEvaluationsAreWrittenPerTask() async throws {
        let trainer = try Trainer(
            configuration: configuration("evaluations", ["epochs=1"]), catalogue: .tests(), logger: logger)
        try await trainer.run()
        XCTAssertEqual(
            trainer.evaluationDirectory(task: "small"), trainer.evaluationDirectory.appendingPathComponent("small"))
        let small = try Evaluation.readAll(in: trainer.evaluationDirectory(task: "small"))
        let large = try Evaluation.readAll(in: trainer.evaluationDirectory(task: "large"))
        XCTAssertEqual(small.map(\.epoch), [0, 1])
        XCTAssertEqual(large.map(\.epoch), [0, 1])
        XCTAssertTrue(small.allSatisfy { $0.meanReward < 0 } && large.allSatisfy { $0.meanReward > 0 })
        XCTAssertNotEqual(small[0].seed, large[0].seed)
        XCTAssertTrue(try Evaluation.readAll(in: trainer.evaluationDirectory).isEmpty, "nothing at the top level")
        // And the report shows both tasks.
        let html = try String(contentsOf: try RunReport.write(runDirectory: trainer.runDirectory), encoding: .utf8)
        XCTAssertTrue(html.contains("Task <code>small</code>") && html.contains("Task <code>large</code>"))
        XCTAssertTrue(html.contains("reward mean ± std per task"))
    }

    func testResumedTwoTaskRunEndsWithTheSameWeightsBitwise() async throws {
        // Per-prompt statistics, so each task's buffers carry over from epoch 1 to 2.
        let straight = try Trainer(
            configuration: configuration("straight", strategy: "per_prompt"), catalogue: .tests(), logger: logger)
        try await straight.run()
        let first = try Trainer(
            configuration: configuration("resumed", ["epochs=1"], strategy: "per_prompt"),
            catalogue: .tests(), logger: logger)
        try await first.run()
        let state = try XCTUnwrap(try CheckpointStore(runDirectory: first.runDirectory, kept: 3).latest()).state
        XCTAssertEqual(state.taskStatTrackers.map { Set($0.keys) }, ["small", "large"])
        var resumed = try configuration("resumed", strategy: "per_prompt")
        resumed.resume = first.runDirectory.path
        let second = try Trainer(configuration: resumed, catalogue: .tests(), logger: logger)
        XCTAssertEqual(second.epoch, 1)
        XCTAssertEqual(second.tasks.map(\.estimator.statTracker.state), first.tasks.map(\.estimator.statTracker.state))
        XCTAssertNotEqual(second.tasks[0].estimator.statTracker.state, second.tasks[1].estimator.statTracker.state)
        try await second.run()
        XCTAssertEqual(second.globalStep, straight.globalStep)
        for (x, y) in zip(straight.model.unet.loraParameters(), second.model.unet.loraParameters()) {
            XCTAssertEqual(x.tensor.bytes(), y.tensor.bytes(), "\(x.name) differs after resume")
        }
    }

    func testASingleTaskCheckpointKeepsItsFormat() async throws {
        var c = try configuration("plain", ["epochs=1"])
        c.prompt = c.tasks![0].prompt
        c.tasks = nil
        let trainer = try Trainer(configuration: c, catalogue: .tests(), logger: logger)
        try await trainer.run()
        let folder = try XCTUnwrap(try CheckpointStore(runDirectory: trainer.runDirectory, kept: 3).checkpoints().last)
        let json = try String(contentsOf: folder.appendingPathComponent("state.json"), encoding: .utf8)
        XCTAssertFalse(json.contains("taskStatTrackers"), json)
        XCTAssertTrue(try Evaluation.readAll(in: trainer.evaluationDirectory).count == 2)
    }
}
