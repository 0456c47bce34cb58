import DiffusionModels
import Foundation
import Torch
import TorchNN
import XCTest

/// Tests/Fixtures, shared with other test targets and read in place.
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// What `CLIPTextModel.load` accepts and how it refuses a bad folder.
final class CLIPTextModelLoadingTests: XCTestCase {
    private let source = fixtures.appendingPathComponent("tiny-sd1/text_encoder")
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("clip-text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func sourceConfiguration() throws -> [String: Any] {
        let data = try Data(contentsOf: source.appendingPathComponent("config.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    private func writeConfiguration(_ object: [String: Any]) throws {
        try JSONSerialization.data(withJSONObject: object).write(to: directory.appendingPathComponent("config.json"))
    }

    private func sourceWeights() throws -> [String: Tensor] {
        try Safetensors.load(source.appendingPathComponent("model.safetensors"))
    }

    private func writeWeights(_ tensors: [String: Tensor], name: String = "model.safetensors") throws {
        try Safetensors.save(tensors, to: directory.appendingPathComponent(name))
    }

    private func assertLoadFails(
        variant: String? = nil, mentioning fragments: [String],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try CLIPTextModel.load(directory: directory, variant: variant), file: file, line: line) {
            let message = "\($0)"
            for fragment in fragments {
                XCTAssertTrue(message.contains(fragment), "'\(fragment)' not in: \(message)", file: file, line: line)
            }
        }
    }

    private func outputs(_ model: CLIPTextModel) -> [Float] {
        withNoGrad { model(Tensor([Int64(1112), 320, 321, 1113], shape: [1, 4])) }.toArray(Float.self)
    }

    func testMissingConfigurationFieldIsNamed() throws {
        var configuration = try sourceConfiguration()
        configuration["num_attention_heads"] = nil
        try writeConfiguration(configuration)
        try writeWeights(try sourceWeights())
        assertLoadFails(mentioning: ["config.json", "missing required field 'num_attention_heads'"])
    }

    func testUnsupportedActivationIsRefused() throws {
        var configuration = try sourceConfiguration()
        configuration["hidden_act"] = "gelu_new"
        try writeConfiguration(configuration)
        try writeWeights(try sourceWeights())
        assertLoadFails(mentioning: ["hidden_act", "gelu_new", "quick_gelu"])
    }

    func testUnknownConfigurationKeysAreIgnoredAndOptionalOnesDefault() throws {
        var configuration = try sourceConfiguration()
        configuration["some_future_key"] = [1, 2]
        configuration["layer_norm_eps"] = nil
        configuration["eos_token_id"] = [1113, 7]
        let data = try JSONSerialization.data(withJSONObject: configuration)
        let decoded = try JSONDecoder().decode(CLIPTextConfiguration.self, from: data)
        XCTAssertEqual(decoded.layerNormEpsilon, 1e-5)
        XCTAssertEqual(decoded.endTokenID, 1113)
        XCTAssertEqual(decoded.layerCount, 2)
        XCTAssertEqual(decoded.headDimension, 8)
    }

    func testPickleOnlyFolderIsRefusedWithAConversionHint() throws {
        try writeConfiguration(try sourceConfiguration())
        try Data([0x80, 0x02]).write(to: directory.appendingPathComponent("pytorch_model.bin"))
        assertLoadFails(mentioning: [
            "pytorch_model.bin", "never loaded", "safe_serialization=True", "model.safetensors"
        ])
        try Data([0x80, 0x02]).write(to: directory.appendingPathComponent("pytorch_model.fp16.bin"))
        assertLoadFails(variant: "fp16", mentioning: ["pytorch_model.fp16.bin", "model.fp16.safetensors"])
    }

    func testShardedWeightsAreRefusedClearly() throws {
        try writeConfiguration(try sourceConfiguration())
        try Data("{}".utf8).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
        assertLoadFails(mentioning: ["model.safetensors.index.json", "not supported"])
    }

    func testMissingWeightsFileIsNamed() throws {
        try writeConfiguration(try sourceConfiguration())
        assertLoadFails(mentioning: [directory.path, "no model.safetensors"])
        try writeWeights(try sourceWeights())
        assertLoadFails(variant: "fp16", mentioning: ["no model.fp16.safetensors", "without the variant"])
    }

    func testMissingAndUnusedTensorsAreListed() throws {
        try writeConfiguration(try sourceConfiguration())
        var weights = try sourceWeights()
        weights["final_layer_norm.weight"] = nil
        weights["encoder.layers.1.mlp.fc3.weight"] = Tensor.zeros([2, 2])
        try writeWeights(weights)
        XCTAssertThrowsError(try CLIPTextModel.load(directory: directory)) { error in
            guard let error = error as? ModuleLoadingError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.missingKeys, ["text_model.final_layer_norm.weight"])
            XCTAssertEqual(error.unusedKeys, ["text_model.encoder.layers.1.mlp.fc3.weight"])
        }
    }

    func testWrongShapeIsReported() throws {
        var configuration = try sourceConfiguration()
        configuration["intermediate_size"] = 40
        try writeConfiguration(configuration)
        try writeWeights(try sourceWeights())
        XCTAssertThrowsError(try CLIPTextModel.load(directory: directory)) { error in
            guard let error = error as? ModuleLoadingError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.shapeMismatches.count, 2 * 3)
            XCTAssertTrue(
                error.shapeMismatches.contains(
                    .init(key: "text_model.encoder.layers.0.mlp.fc1.weight", expected: [40, 32], found: [37, 32])))
        }
    }

    /// Published SD text encoders (saved by transformers 4) prefix every name with
    /// `text_model.` and may carry the `position_ids` buffer; both load.
    func testTransformers4LayoutWithPositionIDsLoads() throws {
        try writeConfiguration(try sourceConfiguration())
        var weights: [String: Tensor] = [:]
        for (name, tensor) in try sourceWeights() { weights["text_model." + name] = tensor }
        weights["text_model.embeddings.position_ids"] = Tensor.arange(0, 77).reshaped([1, 77])
        try writeWeights(weights)
        let model = try CLIPTextModel.load(directory: directory)
        XCTAssertEqual(outputs(model), outputs(try CLIPTextModel.load(directory: source)))
    }

    func testVariantFileIsRead() throws {
        try writeConfiguration(try sourceConfiguration())
        try writeWeights(try sourceWeights().mapValues { $0.to(dtype: .float16) }, name: "model.fp16.safetensors")
        let model = try CLIPTextModel.load(directory: directory, variant: "fp16")
        XCTAssertTrue(model.namedParameters().allSatisfy { $0.tensor.dtype == .float32 })
        let expected = outputs(try CLIPTextModel.load(directory: source))
        for (value, reference) in zip(outputs(model), expected) {
            XCTAssertEqual(value, reference, accuracy: 2e-2)
        }
    }
}
