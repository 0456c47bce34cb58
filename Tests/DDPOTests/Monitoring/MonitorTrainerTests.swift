import Foundation
import Logging
import XCTest

@testable import DDPO

/// The monitors inside a tiny training run: when they measure, the early stop, and resume.
final class MonitorTrainerTests: TinyRunTestCase {
    private func configuration(_ name: String, reward: String, _ overrides: [String] = []) throws
        -> TrainingConfiguration
    {
        let yaml = tinyRunYAML(
            name: name, runs: runs,
            [
                "save_freq": "10", "eval_images": "2", "reward": reward,
                "monitor":
                    #"{every: 1, prompts: {name: fixed, prompts: ["two cats", "a dog"]}, images: 3, diversity: brightness_spread}"#
            ])
        return try TrainingConfiguration.decode(yaml: yaml, overrides: overrides)
    }

    func testMonitorsMeasureBeforeTrainingAndAfterEveryEpoch() async throws {
        let trainer = try Trainer(
            configuration: configuration("every", reward: "brightness"),
            catalogue: .tests(rewards: MonitorTestRewards.registry), logger: logger)
        var readings: [MonitorReading] = []
        var epochsSeen: [Int] = []
        trainer.onMonitor = { readings.append($0) }
        try await trainer.run(onEpoch: { epochsSeen.append($0.epoch) })
        XCTAssertEqual(epochsSeen, [0, 1])
        XCTAssertEqual(readings.map(\.epoch), [0, 1, 2])
        for reading in readings {
            XCTAssertTrue((0...1).contains(reading.heldOutReward), "\(reading)")
            XCTAssertTrue((0...0.5).contains(reading.diversity), "\(reading)")
            XCTAssertNotNil(reading.infoMeans["dark"])
        }
        // Fresh LoRA (up-projection zero) is the base model; trained adapters are not.
        XCTAssertEqual(readings[0].klToBase, 0)
        XCTAssertGreaterThan(readings[2].klToBase, 0)
        XCTAssertEqual(trainer.monitorHistories.map(\.heldOutRewards), [readings.map(\.heldOutReward)])
        XCTAssertTrue(readings.allSatisfy { $0.task == nil })
        XCTAssertEqual(trainer.epoch, 2)
    }

    func testFullFineTuningMeasuresTheKLToAFrozenCopyOfTheInitialUNet() async throws {
        let trainer = try Trainer(
            configuration: configuration("full", reward: "brightness", ["use_lora=false", "epochs=1"]),
            catalogue: .tests(rewards: MonitorTestRewards.registry), logger: logger)
        guard case .frozenCopy(let reference)? = trainer.klReference else { return XCTFail("expected a frozen copy") }
        XCTAssertFalse(reference.model.unet === trainer.model.unet)
        var readings: [MonitorReading] = []
        trainer.onMonitor = { readings.append($0) }
        try await trainer.run()
        XCTAssertEqual(readings.map(\.epoch), [0, 1])
        // The same weights at first, so the same means; the trained UNet moved away.
        XCTAssertEqual(readings[0].klToBase, 0)
        XCTAssertGreaterThan(readings[1].klToBase, 0)
    }

    func testMonitorsOffMeasureNothing() async throws {
        let trainer = try Trainer(
            configuration: configuration("off", reward: "brightness", ["monitor.every=0"]),
            catalogue: .tests(rewards: MonitorTestRewards.registry), logger: logger)
        XCTAssertTrue(trainer.monitors.isEmpty)
        XCTAssertNil(trainer.klReference)
        var readings = 0
        trainer.onMonitor = { _ in readings += 1 }
        try await trainer.run()
        XCTAssertEqual(readings, 0)
        XCTAssertNil(try trainer.checkpoints.latest()?.state.monitor)
    }

    func testAFallingHeldOutRewardStopsTheRunAndTheStopSurvivesResume() async throws {
        let stopping = try configuration("falling", reward: "falling", ["epochs=5", "monitor.stop_after_falls=2"])
        let trainer = try Trainer(
            configuration: stopping, catalogue: .tests(rewards: MonitorTestRewards.registry), logger: logger)
        var readings: [MonitorReading] = []
        trainer.onMonitor = { readings.append($0) }
        try await trainer.run()
        // Epoch 0: baseline; epoch 1: first fall; epoch 2: second fall → stop after epoch 2 of 5.
        XCTAssertEqual(readings.map(\.epoch), [0, 1, 2])
        XCTAssertEqual(trainer.epoch, 2)
        let checkpoint = try XCTUnwrap(try trainer.checkpoints.latest())
        XCTAssertEqual(checkpoint.state.epoch, 2)
        XCTAssertEqual(checkpoint.state.monitor?.entries.map(\.epoch), [0, 1, 2])
        let evaluations = try Evaluation.readAll(in: trainer.evaluationDirectory).map(\.epoch)
        XCTAssertEqual(evaluations, [0, 2])

        var resumed = stopping
        resumed.resume = trainer.runDirectory.path
        let again = try Trainer(
            configuration: resumed, catalogue: .tests(rewards: MonitorTestRewards.registry), logger: logger)
        XCTAssertEqual(again.epoch, 2)
        var epochs = 0
        again.onMonitor = { readings.append($0) }
        try await again.run(onEpoch: { _ in epochs += 1 })
        XCTAssertEqual(epochs, 0)
        XCTAssertEqual(readings.count, 3)
        XCTAssertEqual(again.epoch, 2)

        // Turning the rule off on resume continues the run.
        var continued = resumed
        continued.monitor.stopAfterFalls = 0
        let onward = try Trainer(
            configuration: continued, catalogue: .tests(rewards: MonitorTestRewards.registry), logger: logger)
        try await onward.run(onEpoch: { _ in epochs += 1 })
        XCTAssertEqual(epochs, 3)
        XCTAssertEqual(onward.epoch, 5)
    }

    /// Each task has its own monitor (its reward, prompts and noise); the first task
    /// whose held-out reward falls `stop_after_falls` times stops the run, and the
    /// histories are kept per task across resume.
    func testAMultiTaskRunMonitorsEveryTaskAndTheFirstToFallStopsIt() async throws {
        let yaml = tinyRunYAML(
            name: "tasks", runs: runs,
            [
                "save_freq": "10", "eval_images": "2", "epochs": "5", "prompt": nil, "reward": nil,
                "tasks": """

                  - {name: steady, prompt: {name: fixed, prompts: ["a red circle"]}, reward: brightness}
                  - {name: sinking, prompt: {name: fixed, prompts: ["a blue square"]}, reward: falling}
                """,
                "monitor": "{every: 1, images: 2, diversity: brightness_spread, stop_after_falls: 2}"
            ])
        let configuration = try TrainingConfiguration.decode(yaml: yaml)
        let trainer = try Trainer(
            configuration: configuration, catalogue: .tests(rewards: MonitorTestRewards.registry), logger: logger)
        XCTAssertEqual(trainer.monitors.map(\.task), ["steady", "sinking"])
        XCTAssertEqual(
            trainer.monitors.map(\.prompts), [["a red circle", "a red circle"], ["a blue square", "a blue square"]])
        var readings: [MonitorReading] = []
        trainer.onMonitor = { readings.append($0) }
        try await trainer.run()
        XCTAssertEqual(readings.map(\.epoch), [0, 0, 1, 1, 2, 2])
        XCTAssertEqual(readings.map(\.task), ["steady", "sinking", "steady", "sinking", "steady", "sinking"])
        XCTAssertTrue(readings[0].scalars.keys.allSatisfy { $0.hasSuffix("/steady") })
        XCTAssertEqual(trainer.epoch, 2, "the falling task stopped the run after two falls")
        let state = try XCTUnwrap(try trainer.checkpoints.latest()?.state)
        XCTAssertNil(state.monitor)
        XCTAssertEqual(
            state.taskMonitors?.mapValues { $0.entries.map(\.epoch) }, ["steady": [0, 1, 2], "sinking": [0, 1, 2]])

        var resumed = configuration
        resumed.resume = trainer.runDirectory.path
        let again = try Trainer(
            configuration: resumed, catalogue: .tests(rewards: MonitorTestRewards.registry), logger: logger)
        XCTAssertEqual(again.monitorHistories, trainer.monitorHistories)
        XCTAssertTrue(again.stoppedEarly)
    }
}
