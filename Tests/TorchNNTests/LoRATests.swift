import Torch
import TorchNN
import XCTest

final class LoRATests: XCTestCase {
    private func makeAdapter(alpha: Double = 8) -> (base: Linear, adapter: LoRALinear) {
        let base = Linear(6, 5, generator: Generator(seed: 1))
        let adapter = LoRALinear(base: base, rank: 2, alpha: alpha, generator: Generator(seed: 2))
        return (base, adapter)
    }

    private func randomizeB(_ adapter: LoRALinear) {
        withNoGrad { adapter.loraB.weight.copy(from: Tensor.randn([5, 2], generator: Generator(seed: 3))) }
    }

    func testParametersHavePEFTNames() {
        let (_, adapter) = makeAdapter()
        XCTAssertEqual(adapter.namedParameters().map(\.name), ["weight", "bias", "lora_A.weight", "lora_B.weight"])
        XCTAssertEqual(adapter.loraA.weight.shape, [2, 6])
        XCTAssertEqual(adapter.loraB.weight.shape, [5, 2])
        XCTAssertLessThanOrEqual(adapter.loraA.weight.abs().max().item(), 1 / 6.0.squareRoot())
        XCTAssertEqual(adapter.loraB.weight.toArray(Float.self), [Float](repeating: 0, count: 10))
        XCTAssertEqual(adapter.trainableParameters().map(\.name), ["lora_A.weight", "lora_B.weight"])
    }

    func testNewAdapterKeepsTheBaseOutput() {
        let (base, adapter) = makeAdapter()
        let x = Tensor.randn([3, 6])
        assertClose(adapter(x), base(x), tolerance: 0)
    }

    func testOutputIsBasePlusScaledLowRankUpdate() {
        let (base, adapter) = makeAdapter(alpha: 8)
        randomizeB(adapter)
        let x = Tensor.randn([3, 6])
        let a = adapter.loraA.weight
        let b = adapter.loraB.weight
        let expected = base(x) + x.matmul(a.transposed(0, 1)).matmul(b.transposed(0, 1)) * (8.0 / 2.0)
        XCTAssertEqual(adapter.scale, 4)
        assertClose(adapter(x), expected, tolerance: 1e-5)
        XCTAssertGreaterThan(maxDifference(adapter(x), base(x)), 0.1)
    }

    func testDisabledAdapterGivesTheBaseOutput() {
        let (base, adapter) = makeAdapter()
        randomizeB(adapter)
        let x = Tensor.randn([3, 6])
        adapter.isAdapterEnabled = false
        assertClose(adapter(x), base(x), tolerance: 0)
        adapter.isAdapterEnabled = true
        XCTAssertGreaterThan(maxDifference(adapter(x), base(x)), 0.1)
    }

    func testFuseMatchesAndUnfuseRestoresTheWeight() {
        let (_, adapter) = makeAdapter()
        randomizeB(adapter)
        let x = Tensor.randn([4, 6])
        let unfused = adapter(x)
        let originalWeight = adapter.weight.clone()
        adapter.fuse()
        XCTAssertTrue(adapter.isFused)
        assertClose(adapter(x), unfused, tolerance: 1e-5)
        XCTAssertGreaterThan(maxDifference(adapter.weight, originalWeight), 0.1)
        adapter.unfuse()
        assertClose(adapter.weight, originalWeight, tolerance: 1e-6)
        assertClose(adapter(x), unfused, tolerance: 1e-5)
        XCTAssertFalse(adapter.weight.requiresGrad)
    }

    func testAdapterOfAnotherDTypeAndModeFollowsTheBase() {
        let base = Linear(6, 5, generator: Generator(seed: 1))
        base.to(dtype: .float64)
        base.eval()
        let adapter = LoRALinear(base: base, rank: 2, alpha: 2, dropout: 0.5)
        XCTAssertEqual(adapter.loraA.weight.dtype, .float32)
        XCTAssertEqual(adapter.weight.dtype, .float64)
        XCTAssertFalse(adapter.loraDropout.training, "a layer built from an eval-mode base starts in eval mode")
        randomizeB(adapter)
        let x = Tensor.randn([3, 6], dtype: .float64)
        let y = adapter(x)
        XCTAssertEqual(y.dtype, .float64)
        let a = adapter.loraA.weight.to(dtype: .float64)
        let b = adapter.loraB.weight.to(dtype: .float64)
        assertClose(y, base(x) + x.matmul(a.transposed(0, 1)).matmul(b.transposed(0, 1)), tolerance: 1e-5)
    }

    func testApplyLoRAReplacesExactlyTheTargetsAndFreezesTheRest() throws {
        let model = TinyModel(generator: Generator(seed: 0))
        let replaced = try applyLoRA(to: model, rank: 2, alpha: 4, generator: Generator(seed: 1))
        let expected = (0..<2).flatMap { block in
            ["to_q", "to_k", "to_v", "to_out.0"].map { "blocks.\(block).attn1.\($0)" }
        }
        XCTAssertEqual(replaced, expected)
        XCTAssertEqual(model.loraLayers().map(\.name), expected)
        XCTAssertTrue(model.blocks[1].attn1.toOut is LoRALinear)
        XCTAssertFalse(model.blocks[1].projOut is LoRALinear)
        XCTAssertTrue(model.module(at: "blocks.0.attn1.to_out.1") is Dropout)

        let trainable = model.trainableParameters().map(\.name)
        XCTAssertEqual(trainable, expected.flatMap { ["\($0).lora_A.weight", "\($0).lora_B.weight"] })
        XCTAssertEqual(model.loraParameters().map(\.name), trainable)
        XCTAssertEqual(model.parameterCount(trainableOnly: true), 8 * (2 * 4 + 4 * 2))
        // The base names are unchanged, so base checkpoints still load.
        XCTAssertEqual(model.namedParameters().map(\.name).filter { !$0.contains(".lora_") }, tinyModelParameterNames)

        XCTAssertThrowsError(try applyLoRA(to: model, targets: ["to_x"], rank: 2, alpha: 2))
        // Only whole keys match: "q" is not "to_q".
        XCTAssertThrowsError(try applyLoRA(to: TinyModel(), targets: ["q"], rank: 2, alpha: 2))
    }

    func testGradientsReachOnlyTheAdapter() throws {
        let model = TinyModel(generator: Generator(seed: 0))
        model.eval()
        try applyLoRA(to: model, rank: 2, alpha: 2, generator: Generator(seed: 1))
        for (_, layer) in model.loraLayers() {
            withNoGrad { layer.loraB.weight.copy(from: Tensor.randn(layer.loraB.weight.shape) * 0.1) }
        }
        let x = Tensor.randn([2, 3, 4], generator: Generator(seed: 5))
        model(x).square().mean().backward()
        for (name, tensor) in model.namedParameters() {
            if name.contains(".lora_") {
                let grad = tensor.grad
                XCTAssertNotNil(grad, name)
                if let grad { XCTAssertGreaterThan(grad.abs().max().item(), 0, name) }
            } else {
                XCTAssertNil(tensor.grad, name)
            }
        }
    }

    func testStateDictionaryRoundTripsThroughLoadLoRA() throws {
        let model = TinyModel(generator: Generator(seed: 0))
        try applyLoRA(to: model, rank: 2, alpha: 2, generator: Generator(seed: 1))
        for (_, tensor) in model.loraParameters() { withNoGrad { tensor.copy(from: Tensor.randn(tensor.shape)) } }
        let saved = model.loraStateDictionary(prefix: "unet.")
        XCTAssertEqual(saved.count, 16)
        XCTAssertNotNil(saved["unet.blocks.1.attn1.to_out.0.lora_B.weight"])

        let other = TinyModel(generator: Generator(seed: 9))
        try applyLoRA(to: other, rank: 2, alpha: 2)
        try other.loadLoRA(parameters: saved, prefix: "unet.")
        for ((name, a), (_, b)) in zip(model.loraParameters(), other.loraParameters()) {
            XCTAssertEqual(a.toArray(Float.self), b.toArray(Float.self), name)
        }
        var incomplete = saved
        incomplete["unet.blocks.0.attn1.to_q.lora_A.weight"] = nil
        XCTAssertThrowsError(try other.loadLoRA(parameters: incomplete, prefix: "unet.")) {
            XCTAssertEqual(($0 as? ModuleLoadingError)?.missingKeys, ["unet.blocks.0.attn1.to_q.lora_A.weight"])
        }
    }

    func testModelWideSwitchesReachEveryAdapter() throws {
        let model = TinyModel(generator: Generator(seed: 0))
        model.eval()
        let x = Tensor.randn([2, 3, 4])
        let baseOutput = model(x)
        try applyLoRA(to: model, rank: 2, alpha: 2)
        for (_, layer) in model.loraLayers() { withNoGrad { layer.loraB.weight.fill(0.5) } }
        let adapted = model(x)
        XCTAssertGreaterThan(maxDifference(adapted, baseOutput), 0.01)
        model.setLoRAAdaptersEnabled(false)
        assertClose(model(x), baseOutput, tolerance: 1e-6)
        model.setLoRAAdaptersEnabled(true)
        model.fuseLoRA()
        assertClose(model(x), adapted, tolerance: 1e-5)
        model.unfuseLoRA()
        assertClose(model(x), adapted, tolerance: 1e-5)
    }
}
