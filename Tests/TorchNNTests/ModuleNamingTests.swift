import Torch
import TorchNN
import XCTest

final class ModuleNamingTests: XCTestCase {
    func testParameterNamesAreDottedAndInDeclarationOrder() {
        let model = TinyModel()
        XCTAssertEqual(model.namedParameters().map(\.name), tinyModelParameterNames)
        XCTAssertEqual(Set(model.parameterDictionary().keys), Set(tinyModelParameterNames))
    }

    func testAssignedOptionalsJoinTheNames() {
        let model = TinyModel(blockCount: 0)
        XCTAssertEqual(model.namedParameters().map(\.name), ["scale", "conv_in.weight", "conv_in.bias"])
        model.offset = Tensor.zeros([4])
        model.extra = Linear(4, 2, bias: false)
        XCTAssertEqual(
            model.namedParameters().map(\.name),
            ["scale", "offset", "conv_in.weight", "conv_in.bias", "extra.weight"])
    }

    func testSuperclassParametersComeFirst() {
        final class ScaledLinear: Linear {
            @Parameter var gain: Tensor
            init() {
                super.init(3, 2)
                gain = Tensor.ones([2])
            }
        }
        XCTAssertEqual(ScaledLinear().namedParameters().map(\.name), ["weight", "bias", "gain"])
    }

    func testNamedModulesAndLookupByPath() {
        let model = TinyModel()
        let names = model.namedModules().map(\.name)
        XCTAssertEqual(names.first, "")
        XCTAssertEqual(
            Array(names.prefix(8)),
            [
                "", "blocks.0", "blocks.0.norm", "blocks.0.attn1", "blocks.0.attn1.to_q", "blocks.0.attn1.to_k",
                "blocks.0.attn1.to_v", "blocks.0.attn1.to_out.0"
            ])
        XCTAssertEqual(names.count, 1 + 2 * 9 + 1)
        XCTAssertTrue(model.module(at: "") === model)
        XCTAssertTrue(model.module(at: "blocks.1.attn1.to_out.0") === model.blocks[1].attn1.toOut)
        XCTAssertTrue(model.module(at: "blocks.1.attn1.to_out.1") is Dropout)
        XCTAssertTrue(model.module(at: "conv_in") === model.convIn)
        XCTAssertNil(model.module(at: "blocks.1.attn1.to_out"))
        XCTAssertNil(model.module(at: "blocks.2"))
        XCTAssertNil(model.module(at: "blocks.0.attn1.to_q.weight"))
        XCTAssertNil(model.module(at: "extra"))
        XCTAssertEqual(
            model.blocks[0].attn1.namedChildren().map(\.name),
            ["to_q", "to_k", "to_v", "to_out.0", "to_out.1"])
    }

    func testReplaceModuleChecksTheSlotType() throws {
        let model = TinyModel()
        let replacement = Linear(4, 4)
        try model.replaceModule(at: "blocks.1.attn1.to_out.0", with: replacement)
        XCTAssertTrue(model.blocks[1].attn1.toOut === replacement)

        // A subclass fits, and a plain Linear fits back where a subclass now sits.
        let adapter = LoRALinear(base: model.blocks[0].projOut, rank: 2, alpha: 2)
        try model.replaceModule(at: "blocks.0.proj_out", with: adapter)
        XCTAssertTrue(model.blocks[0].projOut === adapter)
        try model.replaceModule(at: "blocks.0.proj_out", with: Linear(4, 4))
        XCTAssertFalse(model.blocks[0].projOut is LoRALinear)

        // Array elements are replaced in place.
        let block = TinyBlock(dimension: 4)
        try model.replaceModule(at: "blocks.1", with: block)
        XCTAssertTrue(model.blocks[1] === block)

        XCTAssertThrowsError(try model.replaceModule(at: "blocks.0.attn1.to_q", with: Conv2d(4, 4, kernelSize: 1))) {
            XCTAssertTrue("\($0)".contains("does not fit"), "\($0)")
        }
        XCTAssertThrowsError(try model.replaceModule(at: "blocks.0", with: Linear(4, 4)))
        XCTAssertThrowsError(try model.replaceModule(at: "blocks.0.attn2", with: Linear(4, 4))) {
            XCTAssertTrue("\($0)".contains("no such module"), "\($0)")
        }
        XCTAssertThrowsError(try model.replaceModule(at: "", with: TinyModel()))
    }
}
