import Foundation
import Schedulers
import Torch
import XCTest

/// Flow-GRPO's SDE step: drawing, re-scoring, the noise-free limit and gradients.
final class FlowSDEStepTests: XCTestCase {
    private let scheduler = FlowMatchEulerDiscreteScheduler()

    private func inputs(_ shape: [Int] = [3, 4, 8, 8], seed: UInt64 = 3) -> (velocity: Tensor, sample: Tensor) {
        let generator = Generator(seed: seed)
        return (Tensor.randn(shape, generator: generator), Tensor.randn(shape, generator: generator))
    }

    private func maxAbs(_ a: Tensor, _ b: Tensor) -> Double {
        (a.to(dtype: .float64) - b.to(dtype: .float64)).abs().max().item()
    }

    /// Steps 0 (sigma = 1), 5 and 9 (to sigma 0) of SD3's 10-step schedule.
    private let steps = Tensor([Int64(0), 5, 9])

    func testRescoringTheDrawnSampleGivesTheSameLogProbability() throws {
        let (velocity, sample) = inputs()
        let schedule = try scheduler.schedule(inferenceSteps: 10)
        let drawn = FlowSDE.step(
            velocity: velocity, sample: sample, schedule: schedule, steps: steps, generator: Generator(seed: 9))
        let rescored = FlowSDE.step(
            velocity: velocity, sample: sample, schedule: schedule, steps: steps,
            previousSample: drawn.previousSample)
        XCTAssertEqual(drawn.logProbability.shape, [3])
        XCTAssertEqual(drawn.logProbability.toArray(Float.self), rescored.logProbability.toArray(Float.self))
        XCTAssertTrue(drawn.logProbability.toArray(Double.self).allSatisfy(\.isFinite))
    }

    /// The drawn sample is mean + std · randn(shape) from the given generator, as Flow-GRPO
    /// draws it, so a seed replays the noise.
    func testTheDrawIsTheMeanPlusScaledNoiseFromTheGenerator() throws {
        let (velocity, sample) = inputs()
        let schedule = try scheduler.schedule(inferenceSteps: 10)
        let drawn = FlowSDE.step(
            velocity: velocity, sample: sample, schedule: schedule, steps: steps, generator: Generator(seed: 9))
        let noise = Tensor.randn(velocity.shape, generator: Generator(seed: 9))
        XCTAssertEqual(maxAbs(drawn.previousSample, drawn.mean + drawn.standardDeviation * noise), 0)
        let standardized = (drawn.previousSample - drawn.mean) / drawn.standardDeviation
        let spread = standardized.standardDeviation().item()
        XCTAssertEqual(spread, 1, accuracy: 0.05, "the step's noise has the step's standard deviation")
    }

    func testLogProbabilityAtTheMeanIsTheGaussianPeak() throws {
        let (velocity, sample) = inputs()
        let schedule = try scheduler.schedule(inferenceSteps: 10)
        let drawn = FlowSDE.step(
            velocity: velocity, sample: sample, schedule: schedule, steps: steps, generator: Generator(seed: 4))
        let atMean = FlowSDE.step(
            velocity: velocity, sample: sample, schedule: schedule, steps: steps, previousSample: drawn.mean)
        let std = drawn.standardDeviation.flattened().toArray(Double.self)
        let peaks = atMean.logProbability.toArray(Double.self)
        let drawnValues = drawn.logProbability.toArray(Double.self)
        for i in 0..<3 {
            XCTAssertEqual(peaks[i], -Foundation.log(std[i]) - 0.5 * Foundation.log(2 * Double.pi), accuracy: 1e-5)
            XCTAssertGreaterThan(peaks[i], drawnValues[i])
        }
    }

    /// sigma = 1 would make sqrt(sigma / (1 - sigma)) infinite: Flow-GRPO's noise scale uses
    /// 1 - sigma_1 there instead.
    func testNoiseScaleAtSigmaOneUsesTheLargestSigmaBelowOne() throws {
        let schedule = try scheduler.schedule(inferenceSteps: 10)
        let sigmaBelowOne = Double(schedule.sigmas[1])
        let scale = FlowSDE.noiseScale(
            sigma: Tensor([Float(1), schedule.sigmas[1], schedule.sigmas[5]]), noiseLevel: 0.7,
            sigmaBelowOne: sigmaBelowOne
        ).toArray(Double.self)
        let expected = [1, sigmaBelowOne, Double(schedule.sigmas[5])].map { sigma in
            0.7 * (sigma / (1 - (sigma == 1 ? sigmaBelowOne : sigma))).squareRoot()
        }
        for (value, reference) in zip(scale, expected) {
            XCTAssertTrue(value.isFinite)
            XCTAssertEqual(value, reference, accuracy: 1e-6 * reference)
        }
        XCTAssertEqual(scale[0], scale[1] / Double(schedule.sigmas[1]).squareRoot(), accuracy: 1e-5)
    }

    /// Noise level 0 is the deterministic Euler step: x_next is diffusers' update, no
    /// noise is drawn, and the log-probability of a point mass is NaN.
    func testNoiseLevelZeroIsTheEulerStep() throws {
        let (velocity, sample) = inputs()
        let schedule = try scheduler.schedule(inferenceSteps: 10)
        let generator = Generator(seed: 7)
        let before = generator.state
        for index in [0, 5, 9] {
            let step = FlowSDE.step(
                velocity: velocity, sample: sample, schedule: schedule,
                steps: Tensor(Array(repeating: Int64(index), count: 3)), noiseLevel: 0, generator: generator)
            let euler = scheduler.step(velocity: velocity, sample: sample, schedule: schedule, index: index)
            XCTAssertEqual(maxAbs(step.previousSample, euler), 0, "step \(index)")
            XCTAssertEqual(maxAbs(step.mean, euler), 0, "step \(index)")
            XCTAssertTrue(step.logProbability.toArray(Double.self).allSatisfy(\.isNaN))
        }
        XCTAssertEqual(maxAbs(generator.state, before), 0, "no noise is drawn at noise level 0")
    }

    /// The SDE's drift adds s²/(2 sigma) (x + (1 - sigma) v) to the velocity: it moves the mean
    /// away from the Euler step by that much times dt.
    func testMeanIsTheEulerStepPlusTheScoreCorrection() throws {
        let (velocity, sample) = inputs()
        let schedule = try scheduler.schedule(inferenceSteps: 10)
        let step = FlowSDE.step(
            velocity: velocity, sample: sample, schedule: schedule, steps: Tensor([Int64(5), 5, 5]),
            previousSample: sample)
        let euler = scheduler.step(velocity: velocity, sample: sample, schedule: schedule, index: 5)
        let sigma = Double(schedule.sigmas[5])
        let dt = Double(schedule.sigmas[6]) - sigma
        let s = step.noiseScale.flattened().toArray(Double.self)[0]
        let correction = (sample + (1 - sigma) * velocity) * (s * s / (2 * sigma) * dt)
        XCTAssertLessThan(maxAbs(step.mean, euler + correction), 1e-5)
        XCTAssertGreaterThan(maxAbs(step.mean, euler), 1e-2, "the correction is not negligible")
    }

    func testGradientFlowsToTheVelocityNotToTheGivenSample() throws {
        let (velocity, sample) = inputs([2, 4, 4, 4])
        let v = velocity.requiringGrad()
        let previous = Tensor.randn([2, 4, 4, 4], generator: Generator(seed: 5)).requiringGrad()
        let step = FlowSDE.step(
            velocity: v, sample: sample, schedule: try scheduler.schedule(inferenceSteps: 10),
            steps: Tensor([Int64(2), 7]), previousSample: previous)
        step.logProbability.sum().backward()
        XCTAssertNotNil(v.grad)
        XCTAssertNil(previous.grad)
    }

    /// The KL of a step with itself is 0; with `standardDeviation` it is Flow-GRPO's value
    /// divided by sigma - sigma_next; its gradient reaches the policy's mean only.
    func testKLDivergence() throws {
        let (velocity, sample) = inputs()
        let referenceVelocity = Tensor.randn(velocity.shape, generator: Generator(seed: 11))
        let schedule = try scheduler.schedule(inferenceSteps: 10)
        let v = velocity.requiringGrad()
        let vReference = referenceVelocity.requiringGrad()
        let policy = FlowSDE.step(
            velocity: v, sample: sample, schedule: schedule, steps: steps, previousSample: sample)
        let reference = FlowSDE.step(
            velocity: vReference, sample: sample, schedule: schedule, steps: steps,
            previousSample: sample)
        let zero = FlowSDE.klDivergence(
            mean: policy.mean, referenceMean: policy.mean, standardDeviation: policy.noiseScale)
        XCTAssertEqual(zero.toArray(Double.self), [0, 0, 0])
        let flowGRPO = FlowSDE.klDivergence(
            mean: policy.mean, referenceMean: reference.mean, standardDeviation: policy.noiseScale)
        let exact = FlowSDE.klDivergence(
            mean: policy.mean, referenceMean: reference.mean, standardDeviation: policy.standardDeviation)
        let stepSizes = [0, 5, 9].map { Double(schedule.sigmas[$0] - schedule.sigmas[$0 + 1]) }
        for i in 0..<3 {
            let value = exact.toArray(Double.self)[i]
            XCTAssertGreaterThan(value, 0)
            XCTAssertEqual(flowGRPO.toArray(Double.self)[i], value * stepSizes[i], accuracy: 1e-4 * value)
        }
        flowGRPO.sum().backward()
        XCTAssertNotNil(v.grad)
        XCTAssertNil(vReference.grad)
    }
}
