import Torch
import TorchNN
import XCTest

final class ModuleStateTests: XCTestCase {
    func testTrainAndEvalSwitchDropoutEverywhere() {
        let model = TinyModel()
        let dropout = model.blocks[1].attn1.outDropout
        let x = Tensor.ones([1000])
        XCTAssertTrue(dropout.training)
        let trained = dropout(x).toArray(Float.self)
        XCTAssertTrue(trained.contains(0))
        XCTAssertTrue(trained.allSatisfy { $0 == 0 || $0 == 2 })

        model.eval()
        XCTAssertTrue(model.namedModules().allSatisfy { !$0.module.training })
        XCTAssertEqual(dropout(x).toArray(Float.self), x.toArray(Float.self))

        model.train()
        XCTAssertTrue(model.namedModules().allSatisfy { $0.module.training })
    }

    func testFreezeAndUnfreeze() {
        let model = TinyModel()
        XCTAssertEqual(model.trainableParameters().count, model.namedParameters().count)
        model.freeze()
        XCTAssertTrue(model.trainableParameters().isEmpty)
        XCTAssertEqual(model.parameterCount(trainableOnly: true), 0)
        model.blocks[1].unfreeze()
        XCTAssertEqual(
            model.trainableParameters().map(\.name),
            tinyModelParameterNames.filter { $0.hasPrefix("blocks.1.") })
    }

    func testParameterCount() {
        let model = TinyModel()
        // scale 4; per block: norm 8, q/k/v 48, to_out 20, proj_out 20; conv_in 4·3·9 + 4.
        XCTAssertEqual(model.parameterCount(), 4 + 2 * 96 + 112)
        model.blocks[0].freeze()
        XCTAssertEqual(model.parameterCount(trainableOnly: true), 4 + 96 + 112)
    }

    func testAssignedTensorsBecomeTrainableLeaves() {
        let model = TinyModel(blockCount: 0)
        let source = Tensor.zeros([4])
        model.offset = source
        XCTAssertTrue(model.offset!.requiresGrad)
        XCTAssertTrue(model.offset!.isLeaf)
        XCTAssertFalse(source.requiresGrad, "the assigned tensor itself is left as it was")
        withNoGrad { model.offset!.fill(7) }
        XCTAssertEqual(source.toArray(Float.self), [7, 7, 7, 7], "the parameter shares the assigned storage")
    }

    func testConversionKeepsRequiresGrad() {
        let model = TinyModel(blockCount: 1)
        model.blocks[0].freeze()
        model.to(dtype: .float64)
        XCTAssertEqual(Set(model.namedParameters().map { $0.tensor.dtype }), [.float64])
        XCTAssertTrue(model.scale.requiresGrad && model.scale.isLeaf)
        XCTAssertTrue(model.convIn.weight.requiresGrad)
        XCTAssertFalse(model.blocks[0].norm.weight!.requiresGrad)
        model.to(device: .cpu)
        XCTAssertEqual(Set(model.namedParameters().map { $0.tensor.device }), [.cpu])
        let y = model(Tensor.randn([2, 3, 4], dtype: .float64))
        XCTAssertEqual(y.dtype, .float64)
    }

    func testUninitializedScopeDrawsNoRandomNumbers() {
        let generator = Generator(seed: 7)
        let stateBefore = generator.state.toArray(UInt8.self)
        let model = withParameterInitialization(.uninitialized, dtype: .float16, generator: generator) {
            TinyModel(generator: generator)
        }
        XCTAssertEqual(generator.state.toArray(UInt8.self), stateBefore)
        XCTAssertEqual(Set(model.namedParameters().filter { $0.name != "scale" }.map { $0.tensor.dtype }), [.float16])
        // Outside the scope the defaults are back.
        XCTAssertEqual(Linear(2, 2).weight.dtype, .float32)
    }

    func testGeneratorMakesInitialisationReproducible() {
        let a = TinyModel(generator: Generator(seed: 3))
        let b = TinyModel(generator: Generator(seed: 3))
        let c = withParameterInitialization(.random, generator: Generator(seed: 3)) { TinyModel() }
        let d = TinyModel(generator: Generator(seed: 4))
        for ((name, x), (y, z)) in zip(
            a.namedParameters(),
            zip(
                b.namedParameters().map(\.tensor),
                c.namedParameters().map(\.tensor)))
        {
            XCTAssertEqual(x.toArray(Float.self), y.toArray(Float.self), name)
            XCTAssertEqual(x.toArray(Float.self), z.toArray(Float.self), name)
        }
        XCTAssertNotEqual(a.convIn.weight.toArray(Float.self), d.convIn.weight.toArray(Float.self))
    }
}
