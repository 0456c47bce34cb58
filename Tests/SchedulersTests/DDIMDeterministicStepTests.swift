import Schedulers
import Torch
import XCTest

/// eta 0: deterministic DDIM, as diffusers computes it, for drawing images (`ddpo
/// sample --eta 0`): the step is its mean, draws no noise, and says its
/// log-probability is undefined rather than dividing by sigma = 0.
final class DDIMDeterministicStepTests: XCTestCase {
    private func inputs() -> (output: Tensor, sample: Tensor, timesteps: Tensor) {
        let generator = Generator(seed: 3)
        let output = Tensor.randn([2, 4, 8, 8], generator: generator)
        let sample = Tensor.randn([2, 4, 8, 8], generator: generator)
        return (output, sample, Tensor([Int64(500), Int64(500)]))
    }

    func testTheStepIsItsMeanAndDrawsNoNoise() {
        let (output, sample, timesteps) = inputs()
        let scheduler = DDIMScheduler()
        let generator = Generator(seed: 7)
        let before = generator.state
        let step = scheduler.step(
            modelOutput: output, timesteps: timesteps, sample: sample, inferenceSteps: 10, eta: 0,
            generator: generator)
        XCTAssertEqual(maxAbs(step.previousSample, step.mean), 0)
        XCTAssertEqual(maxAbs(step.standardDeviation, step.standardDeviation.fullLike(0)), 0)
        XCTAssertEqual(maxAbs(generator.state, before), 0, "diffusers draws no noise at eta 0, nor do we")
        XCTAssertTrue(step.previousSample.toArray(Double.self).allSatisfy(\.isFinite), "finite x_{t-1}")
        XCTAssertEqual(step.logProbability.shape, [2])
        XCTAssertTrue(
            step.logProbability.toArray(Double.self).allSatisfy(\.isNaN), "a point mass has no log-density: NaN")
    }

    func testEtaZeroIsTheLimitOfSmallEta() {
        let (output, sample, timesteps) = inputs()
        let scheduler = DDIMScheduler()
        let exact = scheduler.step(
            modelOutput: output, timesteps: timesteps, sample: sample, inferenceSteps: 10, eta: 0)
        let almost = scheduler.step(
            modelOutput: output, timesteps: timesteps, sample: sample, inferenceSteps: 10, eta: 1e-6,
            generator: Generator(seed: 1))
        XCTAssertLessThan(maxAbs(exact.mean, almost.mean), 1e-5)
        XCTAssertLessThan(maxAbs(exact.previousSample, almost.previousSample), 1e-4)
    }

    private func maxAbs(_ a: Tensor, _ b: Tensor) -> Double {
        (a.to(dtype: .float64) - b.to(dtype: .float64)).abs().max().item()
    }
}
