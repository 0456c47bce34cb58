import Torch
import TorchNN
import XCTest

final class ModuleLoadingTests: XCTestCase {
    /// A dictionary with distinct, recognisable values for every parameter of `model`.
    private func numberedWeights(for model: Module, prefix: String = "") -> [String: Tensor] {
        var weights: [String: Tensor] = [:]
        for (index, (name, tensor)) in model.namedParameters().enumerated() {
            weights[prefix + name] =
                Tensor.arange(0, Double(tensor.elementCount), dtype: .float32)
                .reshaped(tensor.shape) + Double(index) * 1000
        }
        return weights
    }

    func testLoadFillsEveryParameter() throws {
        let model = TinyModel()
        let weights = numberedWeights(for: model)
        try model.load(parameters: weights)
        for (name, tensor) in model.namedParameters() {
            XCTAssertEqual(tensor.toArray(Float.self), weights[name]!.toArray(Float.self), name)
        }
        XCTAssertEqual(
            model.blocks[1].attn1.toOut.bias!.toArray(Float.self),
            weights["blocks.1.attn1.to_out.0.bias"]!.toArray(Float.self))
    }

    func testLoadCopiesInsteadOfAliasing() throws {
        let model = TinyModel(blockCount: 0)
        let weights = numberedWeights(for: model)
        let parameter = model.scale
        try model.load(parameters: weights)
        XCTAssertTrue(model.scale === parameter, "loading replaced a parameter of unchanged dtype")
        withNoGrad { model.scale.fill(-1) }
        XCTAssertEqual(weights["scale"]!.toArray(Float.self), [0, 1, 2, 3])
    }

    func testLoadReportsEveryProblemInOneError() {
        let model = TinyModel()
        var weights = numberedWeights(for: model)
        weights["blocks.0.attn1.to_k.weight"] = nil
        weights["conv_in.bias"] = nil
        weights["blocks.1.attn1.to_out.0.weight"] = Tensor.zeros([4, 5])
        weights["blocks.0.attn1.query.weight"] = Tensor.zeros([4, 4])
        weights["extra.weight"] = Tensor.zeros([2, 4])
        let before = model.parameterDictionary().mapValues { $0.toArray(Float.self) }

        XCTAssertThrowsError(try model.load(parameters: weights)) { error in
            guard let error = error as? ModuleLoadingError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.missingKeys, ["blocks.0.attn1.to_k.weight", "conv_in.bias"])
            XCTAssertEqual(error.unusedKeys, ["blocks.0.attn1.query.weight", "extra.weight"])
            XCTAssertEqual(
                error.shapeMismatches,
                [.init(key: "blocks.1.attn1.to_out.0.weight", expected: [4, 4], found: [4, 5])])
            let message = "\(error)"
            XCTAssertTrue(message.contains("2 missing, 2 unused, 1 with the wrong shape"), message)
            for key in [
                "blocks.0.attn1.to_k.weight", "conv_in.bias", "blocks.0.attn1.query.weight", "extra.weight",
                "blocks.1.attn1.to_out.0.weight: module has [4, 4], weights have [4, 5]"
            ] {
                XCTAssertTrue(message.contains(key), "'\(key)' not in:\n\(message)")
            }
        }
        // A failed load changes nothing.
        for (name, tensor) in model.namedParameters() {
            XCTAssertEqual(tensor.toArray(Float.self), before[name]!, name)
        }
    }

    func testNonStrictLoadIgnoresUnusedKeysButNotMissingOnes() throws {
        let model = TinyModel(blockCount: 1)
        var weights = numberedWeights(for: model)
        weights["something.else"] = Tensor.zeros([1])
        XCTAssertThrowsError(try model.load(parameters: weights))
        try model.load(parameters: weights, strict: false)

        weights["scale"] = nil
        XCTAssertThrowsError(try model.load(parameters: weights, strict: false)) {
            XCTAssertEqual(($0 as? ModuleLoadingError)?.missingKeys, ["scale"])
        }
    }

    func testPrefixLoadsASubtreeOfABiggerDictionary() throws {
        let unet = TinyModel(blockCount: 1)
        let vae = TinyModel(blockCount: 2)
        var weights = numberedWeights(for: unet, prefix: "unet.")
        weights.merge(numberedWeights(for: vae, prefix: "vae.")) { a, _ in a }
        try unet.load(parameters: weights, prefix: "unet.")
        try vae.load(parameters: weights, prefix: "vae.")
        XCTAssertEqual(unet.convIn.weight.toArray(Float.self), weights["unet.conv_in.weight"]!.toArray(Float.self))
        XCTAssertEqual(
            vae.blocks[1].norm.bias!.toArray(Float.self),
            weights["vae.blocks.1.norm.bias"]!.toArray(Float.self))

        // Unused keys are only those under the prefix, reported with it.
        weights["unet.stray"] = Tensor.zeros([1])
        XCTAssertThrowsError(try unet.load(parameters: weights, prefix: "unet.")) {
            XCTAssertEqual(($0 as? ModuleLoadingError)?.unusedKeys, ["unet.stray"])
        }
    }

    func testLoadConvertsDTypeAndKeepsRequiresGrad() throws {
        let model = TinyModel(blockCount: 1)
        model.blocks[0].freeze()
        let weights = numberedWeights(for: model).mapValues { $0.to(dtype: .float64) }
        try model.load(parameters: weights)
        XCTAssertEqual(Set(model.namedParameters().map { $0.tensor.dtype }), [.float32])
        XCTAssertTrue(model.scale.requiresGrad)
        XCTAssertFalse(model.blocks[0].projOut.weight.requiresGrad)

        try model.load(parameters: weights, dtype: .float16)
        XCTAssertEqual(Set(model.namedParameters().map { $0.tensor.dtype }), [.float16])
        XCTAssertTrue(model.scale.requiresGrad)
        XCTAssertTrue(model.scale.isLeaf)
        XCTAssertFalse(model.blocks[0].projOut.weight.requiresGrad)
        XCTAssertEqual(
            model.blocks[0].projOut.bias!.toArray(Float.self),
            weights["blocks.0.proj_out.bias"]!.to(dtype: .float16).toArray(Float.self))
    }

    func testLongErrorListsAreTruncated() {
        let missing = (0..<500).map { "block.\($0).weight" }
        let error = ModuleLoadingError(missingKeys: missing, unusedKeys: [], shapeMismatches: [])
        let message = "\(error)"
        XCTAssertTrue(message.contains("block.0.weight"))
        XCTAssertTrue(message.contains("block.\(ModuleLoadingError.listedPerKind - 1).weight"))
        XCTAssertFalse(message.contains("block.499.weight"))
        XCTAssertTrue(message.contains("and \(500 - ModuleLoadingError.listedPerKind) more"), message)
    }
}
