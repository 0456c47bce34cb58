import DiffusionModels
import TestSupport
import Torch
import TorchNN
import XCTest

/// What DDPO needs from the UNet beyond inference: gradients into LoRA adapters, and
/// latents of any size.
final class TrainingTests: XCTestCase {
    func testLoRAOnAttentionProjectionsReceivesGradients() throws {
        let unet = try UNet2DConditionModel.load(
            directory: Fixtures.pipeline("tiny-sd2").appendingPathComponent("unet"))
        let replaced = try applyLoRA(to: unet, rank: 2, alpha: 2, generator: Generator(seed: 0))
        // sd2: 1 (down) + 1 (mid) + 2 (up) transformers, 2 attentions each, 4 projections each.
        XCTAssertEqual(replaced.count, 32)
        XCTAssertTrue(replaced.contains("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_out.0"))
        // Zero-initialised B: the adapted model starts equal to the base model.
        let latents = try Fixtures.reference("tiny-sd2", "unet_latents")
        let context = try Fixtures.reference("tiny-sd2", "unet_encoder_hidden_states")
        let timesteps = try Fixtures.reference("tiny-sd2", "unet_timesteps")
        let output = unet(latents, timesteps: timesteps, encoderHiddenStates: context)
        XCTAssertLessThan(maxAbsDifference(output.detached(), try Fixtures.reference("tiny-sd2", "unet_out")), 1e-4)

        output.square().mean().backward()
        let trainable = unet.trainableParameters()
        XCTAssertEqual(trainable.count, 64)
        XCTAssertTrue(trainable.allSatisfy { $0.name.contains(".lora_A.") || $0.name.contains(".lora_B.") })
        for (name, tensor) in trainable where name.hasSuffix("lora_B.weight") {
            let gradient = try XCTUnwrap(tensor.grad, name)
            XCTAssertGreaterThan(gradient.abs().amax().item(), 0, name)
        }
        XCTAssertNil(unet.convIn.weight.grad)
    }

    /// 10×6 latents with a downsampling factor of 4: the up path upsamples to the skip
    /// connections' sizes (5×3 -> 3×2 -> 5×3 -> 10×6), as diffusers does.
    func testSidesNotDivisibleByTheDownsamplingFactor() throws {
        let unet = try UNet2DConditionModel.load(
            directory: Fixtures.pipeline("tiny-sd1").appendingPathComponent("unet"))
        let latents = Tensor.randn([2, 4, 10, 6], generator: Generator(seed: 1))
        let context = try Fixtures.reference("tiny-sd1", "unet_encoder_hidden_states")[0..<2]
        let output = withNoGrad { unet(latents, timesteps: Tensor([10, 900] as [Int64]), encoderHiddenStates: context) }
        XCTAssertEqual(output.shape, [2, 4, 10, 6])
        XCTAssertTrue(output.isFinite().all().item() == 1)
        // diffusers 0.42.1 (the golden venv) on the same input, torch.Generator().manual_seed(1):
        // o.abs().sum(), o[0,0,0,:3], o[1,3,9,:3].
        XCTAssertEqual(output.abs().sum().item(), 126.07914733886719, accuracy: 1e-3)
        let expectedRows: [(Tensor, [Float])] = [
            (output[0][0][0], [-0.11397058, -0.01902069, -0.45094746]),
            (output[1][3][9], [-0.14855431, -0.39620548, 0.02658645])
        ]
        for (row, expected) in expectedRows {
            for (value, reference) in zip(row.toArray(Float.self), expected) {
                XCTAssertEqual(value, reference, accuracy: 1e-5)
            }
        }
    }
}
