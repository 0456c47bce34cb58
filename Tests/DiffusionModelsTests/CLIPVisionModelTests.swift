import DiffusionModels
import Foundation
import TestSupport
import Torch
import TorchNN
import XCTest

/// Parity of the CLIP vision tower with transformers' CLIPVisionModelWithProjection on
/// the tiny random tower of Tests/Fixtures/aesthetic (scripts/golden/aesthetic.py:
/// hidden 32, 2 layers, 4 heads, image 32, patch 4, projection 768).
final class CLIPVisionModelTests: XCTestCase {
    private let folder = Fixtures.root.appendingPathComponent("aesthetic/clip")

    private func reference(_ name: String) throws -> Tensor {
        try SafetensorsFile(url: Fixtures.root.appendingPathComponent("aesthetic/reference.safetensors"))
            .tensor(named: name)
    }

    func testImageEmbeddingsMatchTransformers() throws {
        let model = try CLIPVisionModelWithProjection.load(directory: folder)
        XCTAssertFalse(model.training)
        XCTAssertEqual(
            model.configuration,
            CLIPVisionConfiguration(
                hiddenSize: 32, intermediateSize: 37, layerCount: 2, attentionHeadCount: 4, imageSize: 32, patchSize: 4,
                projectionDimension: 768))
        let pixelValues = try reference("pixel_values")
        let embeddings = withNoGrad { model(pixelValues) }
        XCTAssertEqual(embeddings.shape, [3, 768])
        let error = maxAbsDifference(embeddings, try reference("image_embeds"))
        print("CLIP vision tower: image_embeds max abs error \(error)")
        XCTAssertLessThan(error, 1e-4)
    }

    func testParameterNamesAreTransformersNames() {
        let model = CLIPVisionModelWithProjection(
            configuration: CLIPVisionConfiguration(
                hiddenSize: 8, intermediateSize: 12, layerCount: 2, attentionHeadCount: 2, imageSize: 8, patchSize: 4,
                projectionDimension: 6))
        let names = model.namedParameters().map(\.name)
        XCTAssertEqual(names.count, 3 + 2 + 2 * 16 + 2 + 1)
        // transformers' order too: class_embedding is created before patch_embedding.
        XCTAssertEqual(
            Array(names.prefix(5)),
            [
                "vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
                "vision_model.embeddings.position_embedding.weight", "vision_model.pre_layrnorm.weight",
                "vision_model.pre_layrnorm.bias"
            ])
        XCTAssertTrue(names.contains("vision_model.encoder.layers.1.self_attn.q_proj.weight"))
        XCTAssertEqual(
            Array(names.suffix(3)),
            [
                "vision_model.post_layernorm.weight", "vision_model.post_layernorm.bias",
                "visual_projection.weight"
            ])
        let parameters = model.parameterDictionary()
        XCTAssertEqual(parameters["vision_model.embeddings.patch_embedding.weight"]?.shape, [8, 3, 4, 4])
        XCTAssertEqual(parameters["vision_model.embeddings.position_embedding.weight"]?.shape, [5, 8])
        XCTAssertEqual(parameters["visual_projection.weight"]?.shape, [6, 8])
    }

    /// A full CLIPModel folder (vision_config + top-level projection_dim, text weights
    /// beside the vision ones) loads its vision half.
    func testLoadsTheVisionHalfOfAFullCLIPModelFolder() throws {
        let directory = try Fixtures.temporaryDirectory(self)
        var vision =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as! [String: Any]
        vision["projection_dim"] = 512  // a stale default: the top-level value wins, as in CLIPModel
        let config: [String: Any] = [
            "model_type": "clip", "projection_dim": 768, "vision_config": vision,
            "text_config": ["hidden_size": 32]
        ]
        try JSONSerialization.data(withJSONObject: config).write(to: directory.appendingPathComponent("config.json"))
        var tensors = try Safetensors.load(folder.appendingPathComponent("model.safetensors"))
        tensors["text_model.final_layer_norm.weight"] = Tensor.ones([32])
        tensors["text_projection.weight"] = Tensor.ones([768, 32])
        tensors["logit_scale"] = Tensor(scalar: 2.6592)
        try Safetensors.save(tensors, to: directory.appendingPathComponent("model.safetensors"))

        let model = try CLIPVisionModelWithProjection.load(directory: directory)
        XCTAssertEqual(model.configuration.projectionDimension, 768)
        let pixelValues = try reference("pixel_values")
        let embeddings = withNoGrad { model(pixelValues) }
        XCTAssertLessThan(maxAbsDifference(embeddings, try reference("image_embeds")), 1e-4)
    }

    func testConfigurationErrorsNameTheFileAndField() throws {
        let directory = try Fixtures.temporaryDirectory(self)
        let url = directory.appendingPathComponent("config.json")
        func message(_ json: String) -> String {
            try? Data(json.utf8).write(to: url)
            do {
                _ = try CLIPVisionConfiguration.load(from: url)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let complete =
            #""hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": 32, "hidden_act": "quick_gelu""#
        XCTAssertEqual(
            message("{\(complete), \"projection_dim\": 768}"),
            "\(url.path): missing required field 'patch_size'")
        XCTAssertEqual(
            message("{\(complete), \"patch_size\": 5, \"projection_dim\": 768}"),
            "\(url.path): field 'patch_size': image_size 32 is not a whole number of 5-pixel patches")
        XCTAssertEqual(
            message("{\(complete), \"patch_size\": 4}"),
            "\(url.path): missing required field 'projection_dim'")
        XCTAssertEqual(
            message(#"{"projection_dim": 768, "vision_config": {"hidden_size": 32}}"#),
            "\(url.path): missing required field 'vision_config.intermediate_size'")
        let activation = message(
            #"{"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": 32, "patch_size": 4, "projection_dim": 768, "hidden_act": "relu"}"#
        )
        XCTAssertTrue(activation.contains("field 'hidden_act'"), activation)
        // Sizes are bounded before anything is allocated.
        let valid = "\(complete), \"patch_size\": 4, \"projection_dim\": 768"
        XCTAssertEqual(message("{\(valid)}"), "no error")
        XCTAssertEqual(
            message("{\(valid.replacingOccurrences(of: "\"image_size\": 32", with: "\"image_size\": 1000000"))}"),
            "\(url.path): field 'image_size': must be at most 4096 pixels, got 1000000")
        XCTAssertEqual(
            message(
                "{\(valid.replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 1000000000"))}"
            ),
            "\(url.path): field 'num_hidden_layers': must be at most 1000, got 1000000000")
        let wide = valid.replacingOccurrences(of: "\"hidden_size\": 32", with: "\"hidden_size\": 65536")
        let huge = message(
            "{\(wide.replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 1000"))}")
        XCTAssertTrue(huge.contains("is above the limit of 20 G parameters"), huge)
    }

    func testPickleOnlyFolderIsRefused() throws {
        let directory = try Fixtures.temporaryDirectory(self)
        try FileManager.default.copyItem(
            at: folder.appendingPathComponent("config.json"),
            to: directory.appendingPathComponent("config.json"))
        try Data([0x80, 0x02]).write(to: directory.appendingPathComponent("pytorch_model.bin"))
        XCTAssertThrowsError(try CLIPVisionModelWithProjection.load(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("only pytorch_model.bin is there, a PyTorch pickle"), "\(error)")
        }
    }
}
