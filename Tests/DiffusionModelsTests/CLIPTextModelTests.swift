import DiffusionModels
import Foundation
import TestSupport
import Torch
import TorchNN
import XCTest

/// Tests/Fixtures, shared with other test targets and read in place.
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// Parity of the text encoder with transformers' CLIPTextModel on the tiny random
/// pipelines (tiny-sd1: hidden 32, quick_gelu; tiny-sd2: hidden 64, gelu), whose
/// reference.safetensors holds the prompt ids and transformers' outputs.
final class CLIPTextModelTests: XCTestCase {
    static let prompts = ["", "a red circle", "two green squares on a blue background"]

    private func reference(_ pipeline: String) throws -> SafetensorsFile {
        try SafetensorsFile(
            url: fixtures.appendingPathComponent(pipeline).appendingPathComponent("reference.safetensors"))
    }

    private func checkParity(_ pipeline: String, activation: CLIPActivation, hiddenSize: Int) throws {
        let model = try CLIPTextModel.load(
            directory: fixtures.appendingPathComponent(pipeline)
                .appendingPathComponent("text_encoder"))
        XCTAssertEqual(model.configuration.activation, activation)
        XCTAssertEqual(model.configuration.hiddenSize, hiddenSize)
        XCTAssertFalse(model.training)
        let reference = try reference(pipeline)
        let ids = try reference.tensor(named: "prompt_ids")
        let output = withNoGrad { model(ids, outputHiddenStates: true) }
        let expectedLast = try reference.tensor(named: "text_embeddings")
        let expectedPenultimate = try reference.tensor(named: "text_hidden_penultimate")
        XCTAssertEqual(output.lastHiddenState.shape, [3, 77, hiddenSize])
        XCTAssertEqual(output.hiddenStates.count, model.configuration.layerCount + 1)
        // The two references differ, so a mix-up of the two outputs cannot pass.
        XCTAssertGreaterThan(maxAbsDifference(expectedLast, expectedPenultimate), 0.1)

        let lastError = maxAbsDifference(output.lastHiddenState, expectedLast)
        let penultimateError = maxAbsDifference(output.hiddenStates(at: -2), expectedPenultimate)
        print(
            "\(pipeline) text encoder max abs error: last_hidden_state \(lastError), hidden_states[-2] \(penultimateError)"
        )
        XCTAssertLessThan(lastError, 1e-4, "\(pipeline) last_hidden_state")
        XCTAssertLessThan(penultimateError, 1e-4, "\(pipeline) hidden_states[-2]")

        // The plain call gives the last hidden state, and the tokenizer gives the same ids.
        XCTAssertLessThan(maxAbsDifference(withNoGrad { model(ids) }, expectedLast), 1e-4)
        let tokenizer = try CLIPTokenizer(
            directory: fixtures.appendingPathComponent(pipeline)
                .appendingPathComponent("tokenizer"))
        XCTAssertEqual(tokenizer(Self.prompts).toArray(Int64.self), ids.toArray(Int64.self))
    }

    func testSD1TextEncoderMatchesTransformers() throws {
        try checkParity("tiny-sd1", activation: .quickGELU, hiddenSize: 32)
    }

    func testSD2TextEncoderMatchesTransformers() throws {
        try checkParity("tiny-sd2", activation: .gelu, hiddenSize: 64)
    }

    func testParameterNamesAreTransformersNames() {
        let configuration = CLIPTextConfiguration(
            vocabularySize: 10, hiddenSize: 8, intermediateSize: 12,
            layerCount: 2, attentionHeadCount: 2, maxPositionEmbeddings: 7)
        let model = CLIPTextModel(configuration: configuration)
        let names = model.namedParameters().map(\.name)
        XCTAssertEqual(names.count, 2 + 2 * 16 + 2)
        XCTAssertEqual(
            Array(names.prefix(4)),
            [
                "text_model.embeddings.token_embedding.weight", "text_model.embeddings.position_embedding.weight",
                "text_model.encoder.layers.0.self_attn.k_proj.weight",
                "text_model.encoder.layers.0.self_attn.k_proj.bias"
            ])
        for name in [
            "text_model.encoder.layers.1.self_attn.q_proj.weight",
            "text_model.encoder.layers.1.self_attn.out_proj.bias",
            "text_model.encoder.layers.1.layer_norm1.weight", "text_model.encoder.layers.1.layer_norm2.bias",
            "text_model.encoder.layers.1.mlp.fc1.weight", "text_model.encoder.layers.1.mlp.fc2.bias"
        ] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertEqual(
            Array(names.suffix(2)), ["text_model.final_layer_norm.weight", "text_model.final_layer_norm.bias"])
        XCTAssertEqual(model.parameterDictionary()["text_model.encoder.layers.0.mlp.fc1.weight"]?.shape, [12, 8])
    }

    func testHiddenStatesUsePythonIndexing() {
        let configuration = CLIPTextConfiguration(
            vocabularySize: 10, hiddenSize: 8, intermediateSize: 12,
            layerCount: 3, attentionHeadCount: 2, maxPositionEmbeddings: 7)
        let model = CLIPTextModel(configuration: configuration)
        let ids = Tensor([Int64(1), 2, 3, 4, 5], shape: [1, 5])
        let output = withNoGrad { model(ids, outputHiddenStates: true) }
        XCTAssertEqual(output.hiddenStates.count, 4)
        XCTAssertTrue(output.hiddenStates(at: -1) === output.hiddenStates[3])
        XCTAssertTrue(output.hiddenStates(at: -2) === output.hiddenStates[2])
        XCTAssertTrue(output.hiddenStates(at: 0) === output.hiddenStates[0])
        // The last hidden state is the final layer norm of hidden_states[-1].
        let normed = withNoGrad { model.finalLayerNorm(output.hiddenStates(at: -1)) }
        XCTAssertEqual(maxAbsDifference(normed, output.lastHiddenState), 0)
        XCTAssertTrue(withNoGrad { model(ids, outputHiddenStates: false) }.hiddenStates.isEmpty)
    }

    /// Position i only sees positions up to i, so changing a later token leaves
    /// earlier outputs unchanged, and padding is attended to like any token.
    func testAttentionIsCausal() {
        let configuration = CLIPTextConfiguration(
            vocabularySize: 10, hiddenSize: 8, intermediateSize: 12,
            layerCount: 2, attentionHeadCount: 2, maxPositionEmbeddings: 7)
        let model = CLIPTextModel(configuration: configuration)
        let a = withNoGrad { model(Tensor([Int64(1), 2, 3, 4, 5, 6], shape: [1, 6])) }
        let b = withNoGrad { model(Tensor([Int64(1), 2, 3, 9, 9, 9], shape: [1, 6])) }
        XCTAssertEqual(maxAbsDifference(a.slice(dim: 1, 0..<3), b.slice(dim: 1, 0..<3)), 0)
        XCTAssertGreaterThan(maxAbsDifference(a.slice(dim: 1, 3..<6), b.slice(dim: 1, 3..<6)), 1e-3)
    }

    func testLoadsInReducedPrecision() throws {
        let directory = fixtures.appendingPathComponent("tiny-sd2/text_encoder")
        let model = try CLIPTextModel.load(directory: directory, dtype: .bfloat16)
        XCTAssertTrue(model.namedParameters().allSatisfy { $0.tensor.dtype == .bfloat16 })
        let reference = try reference("tiny-sd2")
        let output = withNoGrad { model(try! reference.tensor(named: "prompt_ids")) }
        XCTAssertEqual(output.dtype, .bfloat16)
        XCTAssertLessThan(maxAbsDifference(output, try reference.tensor(named: "text_embeddings")), 0.1)
    }
}
