import DiffusionModels
import Files
import Foundation
import TestSupport
import Torch
import TorchNN
import XCTest

/// Loading diffusers folders: variants, dtypes, strictness, refused formats, sharding.
final class LoadingTests: XCTestCase {
    private let sd1UNet = Fixtures.pipeline("tiny-sd1").appendingPathComponent("unet")
    private let sd1VAE = Fixtures.pipeline("tiny-sd1").appendingPathComponent("vae")

    private func referenceUNetOutput(_ unet: UNet2DConditionModel, dtype: DType = .float32) throws -> Tensor {
        let latents = try Fixtures.reference("tiny-sd1", "unet_latents").to(dtype: dtype)
        let timesteps = try Fixtures.reference("tiny-sd1", "unet_timesteps")
        let context = try Fixtures.reference("tiny-sd1", "unet_encoder_hidden_states").to(dtype: dtype)
        return withNoGrad { unet(latents, timesteps: timesteps, encoderHiddenStates: context) }
    }

    /// A copy of a fixture folder in a temporary directory, to alter.
    private func copy(_ folder: URL) throws -> URL {
        let target = try Fixtures.temporaryDirectory(self).appendingPathComponent(folder.lastPathComponent)
        try FileManager.default.copyItem(at: folder, to: target)
        return target
    }

    func testFP16VariantLoadsIntoFloat32() throws {
        let unet = try UNet2DConditionModel.load(directory: sd1UNet, variant: "fp16")
        XCTAssertTrue(unet.namedParameters().allSatisfy { $0.tensor.dtype == .float32 })
        let error = maxAbsDifference(try referenceUNetOutput(unet), try Fixtures.reference("tiny-sd1", "unet_out"))
        print("UNet tiny-sd1 fp16 variant in float32: max abs error \(error)")
        XCTAssertLessThan(error, 1e-2)
    }

    func testHalfPrecisionModelsRun() throws {
        let expected = try Fixtures.reference("tiny-sd1", "unet_out")
        for dtype in [DType.float16, .bfloat16] {
            let unet = try UNet2DConditionModel.load(directory: sd1UNet, dtype: dtype)
            XCTAssertTrue(unet.namedParameters().allSatisfy { $0.tensor.dtype == dtype })
            let output = try referenceUNetOutput(unet, dtype: dtype)
            XCTAssertEqual(output.dtype, dtype)
            let error = maxAbsDifference(output, expected)
            print("UNet tiny-sd1 in \(dtype): max abs error \(error)")
            XCTAssertLessThan(error, dtype == .float16 ? 1e-2 : 5e-2)

            let vae = try AutoencoderKL.load(directory: sd1VAE, dtype: dtype)
            let latents = try Fixtures.reference("tiny-sd1", "vae_decode_latents").to(dtype: dtype)
            let decoded = withNoGrad { vae.decodeScaled(latents) }
            XCTAssertEqual(decoded.dtype, dtype)
            let vaeError = maxAbsDifference(decoded, try Fixtures.reference("tiny-sd1", "vae_decoded"))
            print("VAE tiny-sd1 decode in \(dtype): max abs error \(vaeError)")
            XCTAssertLessThan(vaeError, dtype == .float16 ? 1e-2 : 5e-2)
        }
    }

    func testSD2UpcastAttentionInHalfPrecision() throws {
        let unet = try UNet2DConditionModel.load(
            directory: Fixtures.pipeline("tiny-sd2").appendingPathComponent("unet"),
            dtype: .float16)
        let latents = try Fixtures.reference("tiny-sd2", "unet_latents").to(dtype: .float16)
        let context = try Fixtures.reference("tiny-sd2", "unet_encoder_hidden_states").to(dtype: .float16)
        let output = withNoGrad {
            unet(
                latents, timesteps: try! Fixtures.reference("tiny-sd2", "unet_timesteps"), encoderHiddenStates: context)
        }
        XCTAssertLessThan(maxAbsDifference(output, try Fixtures.reference("tiny-sd2", "unet_out")), 2e-2)
    }

    func testMissingUnusedAndMisshapenKeysInOneError() throws {
        let folder = try copy(sd1UNet)
        let file = folder.appendingPathComponent("diffusion_pytorch_model.safetensors")
        var weights = try SafetensorsFile(url: file).tensors()
        weights["conv_in.bias"] = nil
        weights["mid_block.attentions.0.extra.weight"] = Tensor.zeros([2])
        weights["conv_out.weight"] = Tensor.zeros([4, 8, 1, 1])
        try Safetensors.save(weights, to: file)

        XCTAssertThrowsError(try UNet2DConditionModel.load(directory: folder)) { error in
            guard let error = error as? DiffusersModelError, case .weightsDoNotFit(let details) = error.problem else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(details.missingKeys, ["conv_in.bias"])
            XCTAssertEqual(details.unusedKeys, ["mid_block.attentions.0.extra.weight"])
            XCTAssertEqual(
                details.shapeMismatches, [.init(key: "conv_out.weight", expected: [4, 8, 3, 3], found: [4, 8, 1, 1])])
            let message = "\(error)"
            for text in [file.path, "conv_in.bias", "mid_block.attentions.0.extra.weight", "conv_out.weight"] {
                XCTAssertTrue(message.contains(text), "'\(text)' not in: \(message)")
            }
        }
    }

    func testPickleOnlyFolderIsRefusedWithConversionHint() throws {
        let folder = try Fixtures.temporaryDirectory(self)
        try FileManager.default.copyItem(
            at: sd1UNet.appendingPathComponent("config.json"),
            to: folder.appendingPathComponent("config.json"))
        // Not a pickle at all: it must never be opened.
        try Data("not a pickle".utf8).write(to: folder.appendingPathComponent("diffusion_pytorch_model.bin"))
        XCTAssertThrowsError(try UNet2DConditionModel.load(directory: folder)) { error in
            guard let error = error as? DiffusersModelError, case .pickleWeights = error.problem else {
                return XCTFail("unexpected error \(error)")
            }
            let message = "\(error)"
            for text in [
                "diffusion_pytorch_model.bin", "safetensors", "save_pretrained", "safe_serialization=True",
                "UNet2DConditionModel"
            ] {
                XCTAssertTrue(message.contains(text), "'\(text)' not in: \(message)")
            }
        }
    }

    func testMissingWeightsAndMissingVariantNameTheFilesLookedFor() throws {
        XCTAssertThrowsError(try AutoencoderKL.load(directory: sd1VAE, variant: "fp16")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("diffusion_pytorch_model.fp16.safetensors"), message)
            XCTAssertTrue(message.contains("diffusion_pytorch_model.safetensors.index.fp16.json"), message)
        }
    }

    func testMissingRequiredConfigurationFieldIsNamed() throws {
        let folder = try copy(sd1UNet)
        let url = folder.appendingPathComponent("config.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        json["block_out_channels"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        XCTAssertThrowsError(try UNet2DConditionModel.load(directory: folder)) { error in
            guard let error = error as? ConfigurationFileError else { return XCTFail("unexpected error \(error)") }
            XCTAssertEqual(error.path, url.path)
            XCTAssertTrue(error.message.contains("missing required field 'block_out_channels'"), error.message)
        }
    }

    func testShardedWeightsLoad() throws {
        let folder = try copy(sd1UNet)
        let single = folder.appendingPathComponent("diffusion_pytorch_model.safetensors")
        let weights = try SafetensorsFile(url: single).tensors()
        try FileManager.default.removeItem(at: single)
        var shards: [[String: Tensor]] = [[:], [:]]
        var map: [String: String] = [:]
        for (index, key) in weights.keys.sorted().enumerated() {
            shards[index % 2][key] = weights[key]
            map[key] = "diffusion_pytorch_model-0000\(index % 2 + 1)-of-00002.safetensors"
        }
        for (index, shard) in shards.enumerated() {
            try Safetensors.save(
                shard,
                to: folder.appendingPathComponent(
                    "diffusion_pytorch_model-0000\(index + 1)-of-00002.safetensors"))
        }
        try JSONSerialization.data(withJSONObject: ["metadata": [:], "weight_map": map])
            .write(to: folder.appendingPathComponent("diffusion_pytorch_model.safetensors.index.json"))
        let unet = try UNet2DConditionModel.load(directory: folder)
        XCTAssertLessThan(
            maxAbsDifference(try referenceUNetOutput(unet), try Fixtures.reference("tiny-sd1", "unet_out")), 1e-4)
    }

    func testConvolutionShapedLegacyVAEAttentionLoads() throws {
        let folder = try copy(sd1VAE)
        let file = folder.appendingPathComponent("diffusion_pytorch_model.safetensors")
        var weights: [String: Tensor] = [:]
        let legacy = ["to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"]
        for (key, tensor) in try SafetensorsFile(url: file).tensors() {
            var renamed = key
            for (current, old) in legacy where key.contains(".attentions.0.\(current).") {
                renamed = key.replacingOccurrences(of: ".\(current).", with: ".\(old).")
            }
            let isAttentionWeight = renamed != key && key.hasSuffix(".weight")
            weights[renamed] = isAttentionWeight ? tensor.reshaped(tensor.shape + [1, 1]) : tensor
        }
        XCTAssertNotNil(weights["decoder.mid_block.attentions.0.proj_attn.weight"])
        XCTAssertEqual(weights["decoder.mid_block.attentions.0.query.weight"]?.shape, [16, 16, 1, 1])
        try Safetensors.save(weights, to: file)

        let vae = try AutoencoderKL.load(directory: folder)
        let decoded = withNoGrad { vae.decodeScaled(try! Fixtures.reference("tiny-sd1", "vae_decode_latents")) }
        XCTAssertLessThan(maxAbsDifference(decoded, try Fixtures.reference("tiny-sd1", "vae_decoded")), 1e-4)
    }

    func testParameterNamesEqualTheCheckpointKeys() throws {
        for folder in [sd1UNet, Fixtures.pipeline("tiny-sd2").appendingPathComponent("unet")] {
            let configuration = try ConfigurationFile.decode(
                UNet2DConditionConfiguration.self,
                from: folder.appendingPathComponent("config.json"))
            let unet = try withParameterInitialization(.uninitialized) {
                try UNet2DConditionModel(configuration: configuration)
            }
            let keys = try SafetensorsFile(url: folder.appendingPathComponent("diffusion_pytorch_model.safetensors"))
                .tensorNames
            XCTAssertEqual(Set(unet.namedParameters().map(\.name)), Set(keys), folder.path)
            XCTAssertEqual(unet.namedParameters().count, keys.count)
        }
        let configuration = try ConfigurationFile.decode(
            AutoencoderKLConfiguration.self,
            from: sd1VAE.appendingPathComponent("config.json"))
        let vae = try withParameterInitialization(.uninitialized) { try AutoencoderKL(configuration: configuration) }
        let keys = try SafetensorsFile(url: sd1VAE.appendingPathComponent("diffusion_pytorch_model.safetensors"))
            .tensorNames
        XCTAssertEqual(Set(vae.namedParameters().map(\.name)), Set(keys))
    }
}
