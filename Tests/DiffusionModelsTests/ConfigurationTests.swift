import DiffusionModels
import Files
import Foundation
import TestSupport
import Torch
import TorchNN
import XCTest

/// Decoding diffusers' config.json: defaults, ignored and refused keys, and the
/// attention_head_dim quirk.
final class ConfigurationTests: XCTestCase {
    private let minimalUNet: [String: Any] = [
        "block_out_channels": [8, 16], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
        "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "cross_attention_dim": 32, "attention_head_dim": 4,
        "norm_num_groups": 4
    ]

    private func decodeUNet(_ json: [String: Any]) throws -> UNet2DConditionConfiguration {
        try JSONDecoder().decode(UNet2DConditionConfiguration.self, from: JSONSerialization.data(withJSONObject: json))
    }

    private func assertRefused(
        _ changes: [String: Any], field: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        let json = minimalUNet.merging(changes) { $1 }
        XCTAssertThrowsError(try decodeUNet(json), file: file, line: line) { error in
            guard let error = error as? UnsupportedConfigurationError else {
                return XCTFail("unexpected error \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.field, field, file: file, line: line)
        }
    }

    func testDefaultsAreDiffusersAndUnknownKeysAreIgnored() throws {
        let configuration = try decodeUNet(
            minimalUNet.merging([
                "_class_name": "UNet2DConditionModel",
                "some_future_key": [1, 2]
            ]) { $1 })
        XCTAssertEqual(configuration.inChannels, 4)
        XCTAssertEqual(configuration.outChannels, 4)
        XCTAssertEqual(configuration.layersPerBlock, .same(2))
        XCTAssertEqual(configuration.transformerLayersPerBlock, .same(1))
        var withoutGroups = minimalUNet
        withoutGroups["norm_num_groups"] = nil
        withoutGroups["block_out_channels"] = [32, 64]
        XCTAssertEqual(try decodeUNet(withoutGroups).normNumGroups, 32)
        XCTAssertEqual(configuration.normEps, 1e-5)
        XCTAssertTrue(configuration.flipSinToCos)
        XCTAssertEqual(configuration.freqShift, 0)
        XCTAssertEqual(configuration.downsamplePadding, 1)
        XCTAssertEqual(configuration.midBlockType, "UNetMidBlock2DCrossAttn")
        XCTAssertFalse(configuration.useLinearProjection)
        XCTAssertFalse(configuration.upcastAttention)
        XCTAssertNil(configuration.numAttentionHeads)

        let vae = try JSONDecoder().decode(
            AutoencoderKLConfiguration.self,
            from: JSONSerialization.data(withJSONObject: [
                "block_out_channels": [32], "down_block_types": ["DownEncoderBlock2D"],
                "up_block_types": ["UpDecoderBlock2D"],
                "shift_factor": NSNull(), "unknown": true
            ]))
        XCTAssertEqual(vae.scalingFactor, 0.18215)
        XCTAssertNil(vae.shiftFactor)
        XCTAssertTrue(vae.useQuantConv && vae.usePostQuantConv && vae.midBlockAddAttention)
        XCTAssertEqual(vae.latentChannels, 4)
        XCTAssertEqual(vae.layersPerBlock, 1)
    }

    func testFixtureConfigurationsRoundTrip() throws {
        for name in ["tiny-sd1", "tiny-sd2"] {
            let url = Fixtures.pipeline(name).appendingPathComponent("unet/config.json")
            let configuration = try ConfigurationFile.decode(UNet2DConditionConfiguration.self, from: url)
            let again = try JSONDecoder().decode(
                UNet2DConditionConfiguration.self,
                from: JSONEncoder().encode(configuration))
            XCTAssertEqual(again, configuration)
            let vaeURL = Fixtures.pipeline(name).appendingPathComponent("vae/config.json")
            let vae = try ConfigurationFile.decode(AutoencoderKLConfiguration.self, from: vaeURL)
            XCTAssertEqual(
                try JSONDecoder().decode(AutoencoderKLConfiguration.self, from: JSONEncoder().encode(vae)), vae)
        }
        let sd2 = try ConfigurationFile.decode(
            UNet2DConditionConfiguration.self,
            from: Fixtures.pipeline("tiny-sd2").appendingPathComponent("unet/config.json"))
        XCTAssertEqual(sd2.attentionHeadDim, .perBlock([2, 4]))
        XCTAssertTrue(sd2.useLinearProjection && sd2.upcastAttention)
    }

    func testRefusedFeaturesNameTheirField() {
        assertRefused(["class_embed_type": "timestep"], field: "class_embed_type")
        assertRefused(["num_class_embeds": 10], field: "num_class_embeds")
        assertRefused(["addition_embed_type": "text_time"], field: "addition_embed_type")
        assertRefused(["encoder_hid_dim_type": "text_proj"], field: "encoder_hid_dim_type")
        assertRefused(["time_cond_proj_dim": 256], field: "time_cond_proj_dim")
        assertRefused(["time_embedding_type": "fourier"], field: "time_embedding_type")
        assertRefused(["resnet_time_scale_shift": "scale_shift"], field: "resnet_time_scale_shift")
        assertRefused(["only_cross_attention": [false, true]], field: "only_cross_attention")
        assertRefused(["dual_cross_attention": true], field: "dual_cross_attention")
        assertRefused(["attention_type": "gated"], field: "attention_type")
        assertRefused(["down_block_types": ["AttnDownBlock2D", "DownBlock2D"]], field: "down_block_types")
        assertRefused(["up_block_types": ["UpBlock2D", "SimpleCrossAttnUpBlock2D"]], field: "up_block_types")
        assertRefused(["mid_block_type": NSNull()], field: "mid_block_type")
        assertRefused(["mid_block_type": "UNetMidBlock2DSimpleCrossAttn"], field: "mid_block_type")
        assertRefused(["act_fn": "gelu"], field: "act_fn")
        assertRefused(["attention_head_dim": [2, 4, 8]], field: "attention_head_dim")
        assertRefused(["attention_head_dim": 3], field: "attention_head_dim")
        assertRefused(["norm_num_groups": 3], field: "norm_num_groups")
        assertRefused(["transformer_layers_per_block": [[1], [2]]], field: "transformer_layers_per_block")
        // The defaults of refused features are accepted, null or spelled out.
        XCTAssertNoThrow(
            try decodeUNet(
                minimalUNet.merging([
                    "class_embed_type": NSNull(), "only_cross_attention": [false, false],
                    "time_embedding_type": "positional",
                    "resnet_time_scale_shift": "default", "dual_cross_attention": false, "attention_type": "default"
                ]) { $1 }))
    }

    func testRefusalFromAFileNamesTheFileAndField() throws {
        let url = try Fixtures.temporaryDirectory(self).appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: minimalUNet.merging(["addition_embed_type": "text_time"]) { $1 })
            .write(to: url)
        XCTAssertThrowsError(try ConfigurationFile.decode(UNet2DConditionConfiguration.self, from: url)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix(url.path), message)
            XCTAssertTrue(message.contains("addition_embed_type"), message)
        }
    }

    func testConfigurationBuiltInCodeIsValidated() {
        var configuration = UNet2DConditionConfiguration(
            blockOutChannels: [8, 16], downBlockTypes: ["CrossAttnDownBlock2D", "DownBlock2D"],
            upBlockTypes: ["UpBlock2D", "CrossAttnUpBlock2D"], crossAttentionDim: .same(32), attentionHeadDim: .same(3))
        configuration.normNumGroups = 4
        XCTAssertThrowsError(try UNet2DConditionModel(configuration: configuration)) { error in
            XCTAssertEqual((error as? UnsupportedConfigurationError)?.field, "attention_head_dim")
        }
        configuration.attentionHeadDim = .same(4)
        XCTAssertNoThrow(try UNet2DConditionModel(configuration: configuration))
        var vae = AutoencoderKLConfiguration(
            blockOutChannels: [8], downBlockTypes: ["DownEncoderBlock2D"],
            upBlockTypes: ["UpDecoderBlock2D"])
        vae.normNumGroups = 4
        XCTAssertNoThrow(try AutoencoderKL(configuration: vae))
        vae.upBlockTypes = ["AttnUpDecoderBlock2D"]
        XCTAssertThrowsError(try AutoencoderKL(configuration: vae)) { error in
            XCTAssertEqual((error as? UnsupportedConfigurationError)?.field, "up_block_types")
        }
    }

    /// diffusers reads attention_head_dim as the number of heads, per down block; up
    /// blocks use the list reversed.
    func testAttentionHeadDimIsTheNumberOfHeads() throws {
        let sd1 = try UNet2DConditionModel.load(directory: Fixtures.pipeline("tiny-sd1").appendingPathComponent("unet"))
        let attention = sd1.downBlocks[0].attentions![0].transformerBlocks[0].attn1
        XCTAssertEqual(attention.heads, 8)  // attention_head_dim 8 on 8 channels
        XCTAssertEqual(attention.headDimension, 1)

        let sd2 = try UNet2DConditionModel.load(directory: Fixtures.pipeline("tiny-sd2").appendingPathComponent("unet"))
        XCTAssertEqual(sd2.downBlocks[0].attentions![0].transformerBlocks[0].attn2.heads, 2)  // [2, 4] on [16, 32]
        XCTAssertEqual(sd2.downBlocks[0].attentions![0].transformerBlocks[0].attn2.headDimension, 8)
        XCTAssertEqual(sd2.midBlock.attentions[0].transformerBlocks[0].attn1.heads, 4)
        XCTAssertNil(sd2.upBlocks[0].attentions)
        XCTAssertEqual(sd2.upBlocks[1].attentions![0].transformerBlocks[0].attn1.heads, 2)
        XCTAssertNotNil(sd2.downBlocks[0].attentions![0].linearIn)
        XCTAssertNil(sd2.downBlocks[0].attentions![0].convolutionIn)

        // num_attention_heads, when given, is the head count (attention_head_dim is then unused).
        let configuration = try decodeUNet(minimalUNet.merging(["num_attention_heads": 2]) { $1 })
        let unet = try UNet2DConditionModel(configuration: configuration)
        XCTAssertEqual(unet.downBlocks[0].attentions![0].transformerBlocks[0].attn1.heads, 2)
    }
}
