import DiffusionModels
import TestSupport
import Torch
import XCTest

/// UNet outputs against diffusers' on the golden tiny pipelines.
final class UNetParityTests: XCTestCase {
    private func runUNet(
        _ pipeline: String, scalarTimestep: Bool = false, file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> Double {
        let unet = try UNet2DConditionModel.load(directory: Fixtures.pipeline(pipeline).appendingPathComponent("unet"))
        let latents = try Fixtures.reference(pipeline, "unet_latents")
        let timesteps =
            scalarTimestep
            ? Tensor(scalar: 250, dtype: .int64)
            : try Fixtures.reference(pipeline, "unet_timesteps")
        let context = try Fixtures.reference(pipeline, "unet_encoder_hidden_states")
        let expected = try Fixtures.reference(pipeline, scalarTimestep ? "unet_out_scalar_t" : "unet_out")
        let output = withNoGrad { unet(latents, timesteps: timesteps, encoderHiddenStates: context) }
        let error = maxAbsDifference(output, expected)
        print("UNet \(pipeline)\(scalarTimestep ? " scalar t" : ""): max abs error \(error)")
        XCTAssertLessThan(error, 1e-4, file: file, line: line)
        return error
    }

    func testSD1PerSampleTimesteps() throws { _ = try runUNet("tiny-sd1") }
    func testSD2PerSampleTimesteps() throws { _ = try runUNet("tiny-sd2") }
    func testSD1ScalarTimestep() throws { _ = try runUNet("tiny-sd1", scalarTimestep: true) }
    func testSD2ScalarTimestep() throws { _ = try runUNet("tiny-sd2", scalarTimestep: true) }
}
