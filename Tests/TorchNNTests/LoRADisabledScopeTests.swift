import Torch
import TorchNN
import XCTest

final class LoRADisabledScopeTests: XCTestCase {
    private struct Failure: Error {}

    /// A model with non-zero adapters, its input, and its output before LoRA was applied.
    private func adaptedModel() throws -> (model: TinyModel, x: Tensor, base: Tensor) {
        let model = TinyModel(generator: Generator(seed: 0))
        model.eval()
        let x = Tensor.randn([2, 3, 4], generator: Generator(seed: 1))
        let base = model(x)
        try applyLoRA(to: model, rank: 2, alpha: 2)
        for (_, layer) in model.loraLayers() { withNoGrad { layer.loraB.weight.fill(0.5) } }
        return (model, x, base)
    }

    func testInsideTheScopeTheOutputIsTheBaseOneBitwise() throws {
        let (model, x, base) = try adaptedModel()
        let adapted = model(x)
        XCTAssertGreaterThan(maxDifference(adapted, base), 0.01)
        let inside = model.withLoRADisabled { model(x) }
        XCTAssertEqual(inside.bytes(), base.bytes())
        // Switching back on restores the adapted output exactly.
        XCTAssertEqual(model(x).bytes(), adapted.bytes())
        XCTAssertTrue(model.loraLayers().allSatisfy(\.layer.isAdapterEnabled))
    }

    func testEachLayerGetsItsOwnSettingBackEvenAfterAThrow() throws {
        let (model, x, _) = try adaptedModel()
        let layers = model.loraLayers().map(\.layer)
        layers[0].isAdapterEnabled = false
        let before = model(x)
        XCTAssertThrowsError(
            try model.withLoRADisabled {
                XCTAssertTrue(layers.allSatisfy { !$0.isAdapterEnabled })
                throw Failure()
            })
        XCTAssertEqual(layers.map(\.isAdapterEnabled), [false] + Array(repeating: true, count: layers.count - 1))
        XCTAssertEqual(model(x).bytes(), before.bytes())
    }

    func testTheScopeKeepsGradientsOfTheAdaptersOutside() throws {
        let (model, x, _) = try adaptedModel()
        let loss = model(x).square().sum() - model.withLoRADisabled { model(x).square().sum() }
        loss.backward()
        let norms = model.loraParameters().map { $0.tensor.grad?.abs().max().item() ?? 0 }
        XCTAssertGreaterThan(norms.max() ?? 0, 0)
    }
}
