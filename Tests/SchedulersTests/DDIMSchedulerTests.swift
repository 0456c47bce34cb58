import Foundation
import Schedulers
import Torch
import XCTest

final class DDIMSchedulerTests: XCTestCase {
    func testStableDiffusionAlphasMatchADoublePrecisionReference() {
        let schedule = NoiseSchedule(.stableDiffusion)
        let (b0, b1) = (0.00085.squareRoot(), 0.012.squareRoot())
        var product = 1.0
        let values = schedule.alphasCumprod.toArray(Double.self)
        XCTAssertEqual(values.count, 1000)
        for i in 0..<1000 {
            let beta = Foundation.pow(b0 + Double(i) * (b1 - b0) / 999, 2)
            product *= 1 - beta
            XCTAssertEqual(values[i], product, accuracy: 2e-6 * max(product, 1e-3), "alpha-bar[\(i)]")
        }
        // set_alpha_to_one is false for SD: the final alpha-bar is alpha-bar[0].
        XCTAssertEqual(schedule.finalAlphaCumprod.item(), values[0])
    }

    func testTimestepSpacings() {
        XCTAssertEqual(DDIMScheduler().timesteps(inferenceSteps: 10), [901, 801, 701, 601, 501, 401, 301, 201, 101, 1])
        var config = SchedulerConfiguration.stableDiffusion
        config.timestepSpacing = .trailing
        XCTAssertEqual(
            DDIMScheduler(configuration: config).timesteps(inferenceSteps: 10),
            [999, 899, 799, 699, 599, 499, 399, 299, 199, 99])
        XCTAssertEqual(DDIMScheduler(configuration: config).timesteps(inferenceSteps: 3), [999, 666, 332])
        config.timestepSpacing = .linspace
        XCTAssertEqual(
            DDIMScheduler(configuration: config).timesteps(inferenceSteps: 10),
            [999, 888, 777, 666, 555, 444, 333, 222, 111, 0])
    }

    func testRescoringTheDrawnSampleGivesTheSameLogProbability() {
        let scheduler = DDIMScheduler()
        let g = Generator(seed: 3)
        let x = Tensor.randn([3, 4, 8, 8], generator: g)
        let eps = Tensor.randn([3, 4, 8, 8], generator: g)
        let t = Tensor([Int64(901), 501, 1])
        let drawn = scheduler.step(modelOutput: eps, timesteps: t, sample: x, inferenceSteps: 10, eta: 1, generator: g)
        let rescored = scheduler.step(
            modelOutput: eps, timesteps: t, sample: x, inferenceSteps: 10, eta: 1,
            previousSample: drawn.previousSample)
        XCTAssertEqual(drawn.logProbability.toArray(Float.self), rescored.logProbability.toArray(Float.self))
        XCTAssertEqual(drawn.logProbability.shape, [3])
    }

    func testLogProbabilityIsHighestAtTheMean() {
        let scheduler = DDIMScheduler()
        let g = Generator(seed: 4)
        let x = Tensor.randn([2, 4, 4, 4], generator: g)
        let eps = Tensor.randn([2, 4, 4, 4], generator: g)
        let t = Tensor([Int64(501), 501])
        let step = scheduler.step(modelOutput: eps, timesteps: t, sample: x, inferenceSteps: 10, eta: 1, generator: g)
        let atMean = scheduler.step(
            modelOutput: eps, timesteps: t, sample: x, inferenceSteps: 10, eta: 1,
            previousSample: step.mean)
        let sigma = step.standardDeviation.flattened().toArray(Double.self)
        let expected = sigma.map { -Foundation.log($0) - 0.5 * Foundation.log(2 * Double.pi) }
        let values = atMean.logProbability.toArray(Double.self)
        for i in 0..<2 {
            XCTAssertEqual(values[i], expected[i], accuracy: 1e-5)
            XCTAssertGreaterThan(values[i], step.logProbability.toArray(Double.self)[i])
        }
    }

    func testGradientFlowsToTheModelOutputNotToTheGivenSample() {
        let scheduler = DDIMScheduler()
        let g = Generator(seed: 5)
        let x = Tensor.randn([2, 4, 4, 4], generator: g)
        let eps = Tensor.randn([2, 4, 4, 4], generator: g).requiringGrad()
        let previous = Tensor.randn([2, 4, 4, 4], generator: g).requiringGrad()
        let step = scheduler.step(
            modelOutput: eps, timesteps: Tensor([Int64(301), 101]), sample: x,
            inferenceSteps: 10, eta: 1, previousSample: previous)
        step.logProbability.sum().backward()
        XCTAssertNotNil(eps.grad)
        XCTAssertNil(previous.grad)
    }

    func testConfigurationDecodesDiffusersJSONAndNamesBadFields() throws {
        let json = """
            {"_class_name": "DDIMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
             "clip_sample": false, "num_train_timesteps": 1000, "set_alpha_to_one": false, "steps_offset": 1,
             "trained_betas": null, "prediction_type": "v_prediction"}
            """
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scheduler-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(json.utf8).write(to: url)
        var expected = SchedulerConfiguration.stableDiffusion
        expected.predictionType = .vPrediction
        XCTAssertEqual(try SchedulerConfiguration.load(from: url), expected)

        try Data(#"{"beta_schedule": "cubic"}"#.utf8).write(to: url)
        XCTAssertThrowsError(try SchedulerConfiguration.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("beta_schedule"), "\(error)")
            XCTAssertTrue("\(error)".contains(url.path), "\(error)")
        }
        try Data(#"{"thresholding": true}"#.utf8).write(to: url)
        XCTAssertThrowsError(try SchedulerConfiguration.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("thresholding"), "\(error)")
        }
    }
}
