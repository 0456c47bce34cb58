import Torch
import XCTest

@testable import DDPO

final class MicroBatchPlanTests: XCTestCase {
    private func plan(seed: UInt64, noise: Bool = false, trainedSteps: Int = 4, innerEpochs: Int = 2) -> MicroBatchPlan
    {
        MicroBatchPlan(
            sampleCount: 5, stepCount: 4, batchSize: 2, trainedSteps: trainedSteps, innerEpochs: innerEpochs,
            noiseShape: noise ? [3, 2, 2] : nil, noiseDType: .float32, generator: Generator(seed: seed))
    }

    func testEachInnerEpochVisitsEverySampleAtEveryStepOnce() {
        var plan = plan(seed: 1)
        XCTAssertEqual(plan.batchesPerInnerEpoch, 3)
        XCTAssertEqual(plan.count, 2 * 3 * 4)
        let all = plan.next(1_000)
        XCTAssertEqual(all.count, plan.count)
        XCTAssertTrue(plan.next(1).isEmpty)
        XCTAssertEqual(
            all.map(\.sampleIndices.count),
            Array(repeating: [2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1], count: 2).flatMap { $0 })
        for innerEpoch in 0..<2 {
            let visits = all[(innerEpoch * 12)..<((innerEpoch + 1) * 12)].flatMap {
                zip($0.sampleIndices, $0.stepIndices).map { [$0.0, $0.1] }
            }
            XCTAssertEqual(Set(visits), Set((0..<5).flatMap { sample in (0..<4).map { [sample, $0] } }))
            XCTAssertEqual(visits.count, 20)
        }
        // Within a train batch each sample keeps its own step order.
        XCTAssertNotEqual(all[0].stepIndices, all[1].stepIndices)
    }

    func testATimestepFractionKeepsTheFirstStepsOfEachOrder() {
        var plan = plan(seed: 2, trainedSteps: 2, innerEpochs: 1)
        let all = plan.next(100)
        XCTAssertEqual(all.count, 3 * 2)
        XCTAssertEqual(Set(all.flatMap(\.sampleIndices)), Set(0..<5))
    }

    /// Handing the micro-batches out in windows draws the generator exactly as one go:
    /// the same samples, steps and noise.
    func testWindowsDrawTheSameAsOneGo() {
        var whole = plan(seed: 7, noise: true)
        let expected = whole.next(1_000)
        var windowed = plan(seed: 7, noise: true)
        var got: [MicroBatch] = []
        while true {
            let window = windowed.next(5)
            if window.isEmpty { break }
            got += window
        }
        XCTAssertEqual(got.map(\.sampleIndices), expected.map(\.sampleIndices))
        XCTAssertEqual(got.map(\.stepIndices), expected.map(\.stepIndices))
        XCTAssertEqual(got.map { $0.noise?.bytes() }, expected.map { $0.noise?.bytes() })
        XCTAssertEqual(got.first?.noise?.shape, [2, 3, 2, 2])
        XCTAssertEqual(got.last?.noise?.shape, [1, 3, 2, 2])
        XCTAssertNotEqual(got[0].noise?.bytes(), got[1].noise?.bytes())
    }

    func testNoNoiseUnlessAsked() {
        var plan = plan(seed: 3)
        XCTAssertTrue(plan.next(100).allSatisfy { $0.noise == nil })
    }

    /// An epoch whose rewards were all dropped (non-finite, `nan_rewards: drop`) has no samples left.
    func testNoSamplesNoMicroBatches() {
        var plan = MicroBatchPlan(
            sampleCount: 0, stepCount: 4, batchSize: 2, trainedSteps: 4, innerEpochs: 1,
            noiseShape: nil, noiseDType: .float32, generator: Generator(seed: 1))
        XCTAssertEqual(plan.count, 0)
        XCTAssertTrue(plan.next(10).isEmpty)
    }

    /// p3o: pairs (2k, 2k + 1) stay together, at one step, and every pair visits
    /// `trainedSteps` distinct steps per inner epoch.
    func testPairsStayTogetherAtOneStep() {
        var plan = MicroBatchPlan(
            sampleCount: 6, stepCount: 4, batchSize: 4, trainedSteps: 3, innerEpochs: 2,
            noiseShape: nil, noiseDType: .float32, generator: Generator(seed: 3), pairs: true)
        // 3 pairs in batches of 2 pairs: 2 batches × 3 steps × 2 inner epochs.
        XCTAssertEqual(plan.count, 12)
        let microBatches = plan.next(100)
        XCTAssertEqual(microBatches.count, 12)
        var visits: [Int: [Int]] = [:]
        for microBatch in microBatches {
            XCTAssertEqual(microBatch.sampleIndices.count % 2, 0)
            for index in stride(from: 0, to: microBatch.sampleIndices.count, by: 2) {
                let (first, second) = (microBatch.sampleIndices[index], microBatch.sampleIndices[index + 1])
                XCTAssertEqual(first % 2, 0)
                XCTAssertEqual(second, first + 1)
                XCTAssertEqual(microBatch.stepIndices[index], microBatch.stepIndices[index + 1])
                visits[first / 2, default: []].append(microBatch.stepIndices[index])
            }
        }
        XCTAssertEqual(visits.keys.sorted(), [0, 1, 2])
        for (_, steps) in visits {
            XCTAssertEqual(steps.count, 6)
            XCTAssertEqual(Set(steps.prefix(3)).count, 3, "distinct steps within an inner epoch: \(steps)")
        }
    }
}
