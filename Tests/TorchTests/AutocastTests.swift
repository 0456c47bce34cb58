import Torch
import XCTest

final class AutocastTests: XCTestCase {
    func testMatmulRunsInBFloat16InsideTheScopeOnly() {
        let a = Tensor.randn([4, 8], generator: Generator(seed: 1))
        let b = Tensor.randn([8, 3], generator: Generator(seed: 2))
        XCTAssertFalse(Autocast.isEnabled(on: .cpu))
        let inside = Autocast.run(on: .cpu, dtype: .bfloat16) { () -> Tensor in
            XCTAssertTrue(Autocast.isEnabled(on: .cpu))
            return a.matmul(b)
        }
        // matmul is on CPU autocast's lower-precision list: fp32 inputs, bf16 result.
        XCTAssertEqual(inside.dtype, .bfloat16)
        XCTAssertFalse(Autocast.isEnabled(on: .cpu), "state restored after the scope")
        XCTAssertEqual(a.matmul(b).dtype, .float32)
        // Same product, rounded: bf16 keeps 8 significant bits (relative error <= 2^-8 per
        // rounding; the inputs are rounded too), so within a few percent of the fp32 result.
        let exact = a.matmul(b)
        let error = (inside.to(dtype: .float32) - exact).abs().max().item()
        XCTAssertLessThan(error, 0.05 * exact.abs().max().item())
    }

    func testNilDTypeLeavesAutocastOff() {
        let product = Autocast.run(on: .cpu, dtype: nil) { Tensor.ones([2, 2]).matmul(Tensor.ones([2, 2])) }
        XCTAssertEqual(product.dtype, .float32)
    }

    func testNestedScopesRestoreTheOuterState() {
        Autocast.run(on: .cpu, dtype: .bfloat16) {
            Autocast.run(on: .cpu, dtype: .bfloat16) { XCTAssertTrue(Autocast.isEnabled(on: .cpu)) }
            XCTAssertTrue(Autocast.isEnabled(on: .cpu), "inner scope's exit keeps the outer one on")
        }
        XCTAssertFalse(Autocast.isEnabled(on: .cpu))
    }

    func testWeightsAndGradientsStayFloat32() {
        let weight = Tensor.randn([3, 8], generator: Generator(seed: 3)).requiringGrad()
        let input = Tensor.randn([5, 8], generator: Generator(seed: 4))
        let loss = Autocast.run(on: .cpu, dtype: .bfloat16) { input.matmul(weight.transposed(0, 1)) }
            .to(dtype: .float32).square().mean()
        loss.backward()
        XCTAssertEqual(weight.dtype, .float32)
        XCTAssertEqual(weight.grad?.dtype, .float32, "the cast's backward returns the gradient in fp32")
    }
}
