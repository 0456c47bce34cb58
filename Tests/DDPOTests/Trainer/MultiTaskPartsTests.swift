import XCTest

@testable import DDPO

/// The pieces of multi-task training that need no model: task seeds, per-task
/// metrics and the combined statistics of sequential updates.
final class MultiTaskPartsTests: XCTestCase {
    func testTaskZeroKeepsTheRunSeedAndTheOthersGetTheirOwn() {
        XCTAssertEqual(RunSeeds.taskSeed(42, task: 0), 42)
        XCTAssertEqual(RunSeeds.taskSeed(5, task: 0), 5)
        // SplitMix64's finalizer over 42 ^ (0x5851F42D4C957F2D × k mod 2^64), computed apart (Python).
        XCTAssertEqual(RunSeeds.taskSeed(42, task: 1), 12_279_780_769_025_982_844)
        XCTAssertEqual(RunSeeds.taskSeed(42, task: 2), 13_489_164_758_724_837_236)
        XCTAssertEqual(RunSeeds.taskSeed(5, task: 1), 2_083_804_085_515_955_580)
        let seeds = (0..<64).map { RunSeeds.taskSeed(42, task: $0) }
        XCTAssertEqual(Set(seeds).count, 64)
        // And so are the tasks' sampling streams of an epoch.
        let sampling = seeds.map { RunSeeds.seed($0, epoch: 3, purpose: .sampling) }
        XCTAssertEqual(Set(sampling).count, 64)
    }

    func testTaskScalarsAreSuffixedWithTheTaskName() {
        var update = PolicyUpdateStatistics()
        update.sums.loss = 1  // over 2 micro-batches: mean 0.5
        update.sums.microBatches = 2
        update.sums.optimizerSteps = 3
        let task = TaskEpochReport(
            name: "align", weight: 2, rewards: [1, 3, 5, 7], advantages: [-1, 1, -1, 1],
            droppedSamples: 1, update: update)
        let scalars = task.scalars
        // Mean 4; deviations ±1, ±3: population variance (1 + 9 + 1 + 9) / 4 = 5.
        XCTAssertEqual(scalars["reward_mean/align"], 4)
        XCTAssertEqual(scalars["reward_std/align"]!, 5.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(scalars["advantage_mean/align"], 0)
        XCTAssertEqual(scalars["advantage_std/align"], 1)
        XCTAssertEqual(scalars["dropped_samples/align"], 1)
        XCTAssertEqual(scalars["loss/align"], 0.5)
        XCTAssertEqual(scalars["optimizer_steps/align"], 3)
        XCTAssertTrue(scalars.keys.allSatisfy { $0.hasSuffix("/align") })
        var noUpdate = task
        noUpdate.update = nil
        XCTAssertEqual(
            Set(noUpdate.scalars.keys),
            [
                "reward_mean/align", "reward_std/align", "advantage_mean/align",
                "advantage_std/align", "dropped_samples/align"
            ])
    }

    func testSequentialStatisticsCombineAsOneUpdate() {
        var a = PolicyUpdateStatistics()
        a.sums.loss = 1 * 2
        a.sums.approxKL = 0.1 * 2
        a.sums.clipFraction = 0
        a.sums.gradientNorm = 2
        a.sums.microBatches = 2
        a.sums.optimizerSteps = 1
        a.sums.klPenalty = 0.2 * 2
        a.steps = [OptimizerStepStatistics(loss: 1)]
        var b = PolicyUpdateStatistics()
        b.sums.loss = 4 * 6
        b.sums.approxKL = 0.4 * 6
        b.sums.clipFraction = 0.5 * 6
        b.sums.gradientNorm = 5 * 3
        b.sums.microBatches = 6
        b.sums.optimizerSteps = 3
        b.sums.klPenalty = 0.6 * 6
        b.steps = [OptimizerStepStatistics(loss: 2), OptimizerStepStatistics(loss: 3), OptimizerStepStatistics(loss: 4)]
        let total = PolicyUpdateStatistics.combining([a, b])
        XCTAssertEqual(total.microBatches, 8)
        XCTAssertEqual(total.optimizerSteps, 4)
        XCTAssertEqual(total.steps.map(\.loss), [1, 2, 3, 4])
        // By micro-batches: (1·2 + 4·6) / 8 = 3.25; (0.1·2 + 0.4·6) / 8 = 0.325; (0 + 0.5·6) / 8 = 0.375.
        XCTAssertEqual(total.loss, 3.25, accuracy: 1e-12)
        XCTAssertEqual(total.approxKL, 0.325, accuracy: 1e-12)
        XCTAssertEqual(total.clipFraction, 0.375, accuracy: 1e-12)
        XCTAssertEqual(total.klPenalty!, 0.5, accuracy: 1e-12)  // (0.4 + 3.6) / 8
        // By optimizer steps: (2·1 + 5·3) / 4 = 4.25.
        XCTAssertEqual(total.gradientNorm, 4.25, accuracy: 1e-12)
        XCTAssertNil(total.pretrainLoss)
        XCTAssertEqual(PolicyUpdateStatistics.combining([b]), b, "one update is left as it is")
    }
}
