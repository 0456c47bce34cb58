import DiffusionModels
import TestSupport
import Torch
import XCTest

/// Timesteps: one per sample, broadcast from one, integer or floating point.
final class TimestepTests: XCTestCase {
    func testOneTimestepBroadcastsAndFloatTimestepsMatchIntegers() throws {
        let unet = try UNet2DConditionModel.load(
            directory: Fixtures.pipeline("tiny-sd1").appendingPathComponent("unet"))
        let latents = try Fixtures.reference("tiny-sd1", "unet_latents")
        let context = try Fixtures.reference("tiny-sd1", "unet_encoder_hidden_states")
        func run(_ timesteps: Tensor) -> Tensor {
            withNoGrad { unet(latents, timesteps: timesteps, encoderHiddenStates: context) }
        }
        let perSample = run(Tensor([250, 250, 250] as [Int64]))
        XCTAssertEqual(maxAbsDifference(run(Tensor([250] as [Int64])), perSample), 0)
        XCTAssertEqual(maxAbsDifference(run(Tensor(scalar: 250, dtype: .int64)), perSample), 0)
        XCTAssertEqual(maxAbsDifference(run(Tensor([250, 250, 250] as [Float])), perSample), 0)

        // Each sample sees its own timestep: sample 1 of a [999, 500, 1] batch equals
        // a batch run at 500.
        let mixed = run(try Fixtures.reference("tiny-sd1", "unet_timesteps"))
        let at500 = run(Tensor([500] as [Int64]))
        XCTAssertLessThan(maxAbsDifference(mixed[1], at500[1]), 1e-6)
        XCTAssertGreaterThan(maxAbsDifference(mixed[0], at500[0]), 1e-3)
    }

    func testSinusoidalEmbeddingLayout() {
        // t = 0: sin parts are 0, cos parts 1; flipSinToCos puts cos first.
        let embedding = sinusoidalTimestepEmbedding(
            Tensor([0] as [Int64]), dimension: 4, flipSinToCos: true,
            downscaleFrequencyShift: 0)
        XCTAssertEqual(embedding.toArray(Float.self), [1, 1, 0, 0])
        let plain = sinusoidalTimestepEmbedding(
            Tensor([0] as [Int64]), dimension: 5, flipSinToCos: false,
            downscaleFrequencyShift: 1)
        XCTAssertEqual(plain.toArray(Float.self), [0, 0, 1, 1, 0])
        // Frequencies exp(-ln(10000) · i / (half - shift)): with shift 0 and half 2, f1 = 0.01.
        let one = sinusoidalTimestepEmbedding(
            Tensor([100] as [Float]), dimension: 4, flipSinToCos: false,
            downscaleFrequencyShift: 0
        ).toArray(Float.self)
        XCTAssertEqual(one[1], Float(Foundation.sin(1.0)), accuracy: 1e-5)
        XCTAssertEqual(one[2], Float(Foundation.cos(100.0)), accuracy: 1e-4)
    }
}
