import DiffusionModels
import TestSupport
import Torch
import XCTest

/// VAE encode and decode against diffusers' on the golden tiny pipelines (tiny-sd2's VAE
/// is saved with the legacy attention names).
final class VAEParityTests: XCTestCase {
    private func vae(_ pipeline: String) throws -> AutoencoderKL {
        try AutoencoderKL.load(directory: Fixtures.pipeline(pipeline).appendingPathComponent("vae"))
    }

    private func checkDecode(_ pipeline: String) throws {
        let vae = try vae(pipeline)
        let latents = try Fixtures.reference(pipeline, "vae_decode_latents")
        let expected = try Fixtures.reference(pipeline, "vae_decoded")
        let decoded = withNoGrad { vae.decode(latents / vae.configuration.scalingFactor) }
        let error = maxAbsDifference(decoded, expected)
        print("VAE \(pipeline) decode: max abs error \(error)")
        XCTAssertLessThan(error, 1e-4)
        // decodeScaled divides for the caller.
        XCTAssertEqual(maxAbsDifference(withNoGrad { vae.decodeScaled(latents) }, decoded), 0)
    }

    private func checkEncode(_ pipeline: String) throws {
        let vae = try vae(pipeline)
        let image = try Fixtures.reference(pipeline, "vae_encode_image")
        let distribution = withNoGrad { vae.encode(image) }
        let meanError = maxAbsDifference(distribution.mean, try Fixtures.reference(pipeline, "vae_encoded_mean"))
        let logVarianceError = maxAbsDifference(
            distribution.logVariance,
            try Fixtures.reference(pipeline, "vae_encoded_logvar"))
        print("VAE \(pipeline) encode: mean max abs error \(meanError), logvar \(logVarianceError)")
        XCTAssertLessThan(meanError, 1e-4)
        XCTAssertLessThan(logVarianceError, 1e-4)
        XCTAssertTrue(distribution.mode() === distribution.mean)
        XCTAssertLessThan(maxAbsDifference(distribution.std, (distribution.logVariance * 0.5).exp()), 1e-7)
    }

    func testSD1Decode() throws { try checkDecode("tiny-sd1") }
    func testSD1Encode() throws { try checkEncode("tiny-sd1") }
    func testSD2LegacyNamedDecode() throws { try checkDecode("tiny-sd2") }
    func testSD2LegacyNamedEncode() throws { try checkEncode("tiny-sd2") }

    func testSampleIsMeanPlusScaledNoiseFromTheGenerator() throws {
        let vae = try vae("tiny-sd1")
        let distribution = withNoGrad { vae.encode(try! Fixtures.reference("tiny-sd1", "vae_encode_image")) }
        let sample = distribution.sample(generator: Generator(seed: 7))
        let noise = Tensor.randn(distribution.mean.shape, generator: Generator(seed: 7))
        XCTAssertLessThan(maxAbsDifference(sample, distribution.mean + distribution.std * noise), 1e-6)
    }
}
