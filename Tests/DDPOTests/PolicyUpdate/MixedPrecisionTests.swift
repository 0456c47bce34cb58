import DiffusionModels
import Foundation
import Torch
import XCTest

@testable import DDPO

/// bf16 autocast of the UNet on the bundled tiny model (CPU autocast supports bf16).
final class MixedPrecisionTests: XCTestCase {
    private func inputs(_ model: StableDiffusion) -> (Tensor, Tensor, Tensor) {
        let size = model.defaultImageSize / model.vaeScaleFactor
        let latents = Tensor.randn([2, model.latentChannels, size, size], generator: Generator(seed: 5))
        let timesteps = Tensor.full([2], value: 500, dtype: .int64)
        return (latents, timesteps, model.encode(prompts: ["a red square", "two blue circles"]))
    }

    func testUNetUnderBF16IsCloseToFloat32ButNotEqual() throws {
        let model = try StableDiffusion.load(directory: BundledModelTests.directory)
        let (latents, timesteps, context) = inputs(model)
        let full = withNoGrad {
            TrajectorySampler(model: model).noisePrediction(
                latents: latents, timesteps: timesteps,
                encoderHiddenStates: context)
        }
        let mixed = withNoGrad {
            TrajectorySampler(model: model, autocast: .bfloat16).noisePrediction(
                latents: latents, timesteps: timesteps, encoderHiddenStates: context)
        }
        XCTAssertEqual(mixed.dtype, .float32, "cast back for the scheduler")
        let difference = (mixed - full).abs()
        // Not bitwise equal: the convolutions really ran in bf16.
        XCTAssertGreaterThan(difference.max().item(), 0)
        // bf16 rounds to 8 significant bits (about 0.4 %); through a dozen layers the
        // error grows, but must stay a small fraction of the prediction's spread.
        let spread = full.abs().mean().item()
        XCTAssertLessThan(difference.mean().item(), 0.05 * spread, "mean error vs mean |prediction| \(spread)")
        XCTAssertFalse(Autocast.isEnabled(on: .cpu), "the scope ended")
    }

    func testSamplingEncodesAndDecodesUnderAutocastToo() throws {
        let model = try StableDiffusion.load(directory: BundledModelTests.directory)
        let options = SamplingOptions(steps: 4, guidanceScale: 5, eta: 1)
        let prompts = ["a red square", "two blue circles"]
        let full = TrajectorySampler(model: model).sample(
            prompts: prompts, options: options,
            generator: Generator(seed: 9))
        let mixed = TrajectorySampler(model: model, autocast: .bfloat16).sample(
            prompts: prompts, options: options,
            generator: Generator(seed: 9))
        for (name, ours, reference) in [
            ("embeddings", mixed.promptEmbeddings, full.promptEmbeddings),
            ("images", mixed.images, full.images)
        ] {
            XCTAssertEqual(ours.dtype, .float32, name)
            let difference = (ours - reference).abs()
            XCTAssertGreaterThan(difference.max().item(), 0, "\(name): bf16 was used")
            XCTAssertLessThan(difference.mean().item(), 0.05 * reference.abs().mean().item(), name)
        }
        XCTAssertEqual(mixed.logProbabilities.dtype, .float32)
    }

    func testTrainableWeightsAndGradientsStayFloat32() throws {
        let model = try StableDiffusion.load(directory: BundledModelTests.directory)
        model.unet.unfreeze()
        let (latents, timesteps, context) = inputs(model)
        let prediction = TrajectorySampler(model: model, autocast: .bfloat16)
            .noisePrediction(latents: latents, timesteps: timesteps, encoderHiddenStates: context)
        prediction.square().mean().backward()
        let parameters = model.unet.trainableParameters()
        XCTAssertFalse(parameters.isEmpty)
        for (name, tensor) in parameters {
            XCTAssertEqual(tensor.dtype, .float32, name)
            XCTAssertEqual(tensor.grad?.dtype, .float32, name)
        }
    }
}
