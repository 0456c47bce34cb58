import Torch
import XCTest

/// Element-wise arithmetic, math functions, selection and comparisons against PyTorch
/// (forward values and gradients of (out * grad_out).sum()).
final class ArithmeticTests: XCTestCase {
    // MARK: Binary ops with broadcasting (x [2,3,4] op y [3,1])

    func testAdd() throws {
        checkGoldenCase("add", inputs: ["x", "y"]) { $0[0] + $0[1] }
    }

    func testSub() throws {
        checkGoldenCase("sub", inputs: ["x", "y"]) { $0[0] - $0[1] }
    }

    func testMul() throws {
        checkGoldenCase("mul", inputs: ["x", "y"]) { $0[0] * $0[1] }
    }

    func testDiv() throws {
        checkGoldenCase("div", inputs: ["x", "y"]) { $0[0] / $0[1] }
    }

    func testPowTensorExponent() throws {
        checkGoldenCase("pow", inputs: ["x", "y"]) { $0[0].pow($0[1]) }
    }

    func testPowScalarExponent() throws {
        checkGoldenCase("pow_scalar", inputs: ["x"]) { $0[0].pow(2.5) }
    }

    // MARK: Unary ops

    func testNeg() throws {
        checkGoldenCase("neg", inputs: ["x"]) { -$0[0] }
    }

    func testExp() throws {
        checkGoldenCase("exp", inputs: ["x"]) { $0[0].exp() }
    }

    func testLog() throws {
        checkGoldenCase("log", inputs: ["x"]) { $0[0].log() }
    }

    func testSqrt() throws {
        checkGoldenCase("sqrt", inputs: ["x"]) { $0[0].sqrt() }
    }

    func testAbs() throws {
        checkGoldenCase("abs", inputs: ["x"]) { $0[0].abs() }
    }

    func testClamp() throws {
        checkGoldenCase("clamp", inputs: ["x"]) { $0[0].clamped(min: -0.5, max: 0.7) }
    }

    // MARK: Selection and comparison

    func testWhere() throws {
        checkGoldenCase("where", inputs: ["cond", "x", "y"]) { Tensor.where($0[0], $0[1], $0[2]) }
    }

    func testReplacingWhereMatchesTorchWhere() throws {
        // x.replacing(where: c, with: y) == torch.where(c, y, x) == torch.where(!c, x, y).
        let cond = try fixture("where.cond")
        let out = try fixture("where.x").replacing(where: .!cond, with: try fixture("where.y"))
        assertClose(out, try fixture("where.out"))
    }

    func testGreaterThan() throws {
        checkGoldenCase("gt", inputs: ["x", "y"], differentiable: false) { $0[0] .> $0[1] }
    }

    func testEqual() throws {
        checkGoldenCase("eq", inputs: ["x", "y"], differentiable: false) { $0[0] .== $0[1] }
        // The fixture has exactly 8 equal entries; make sure the comparison is not trivially all-false.
        let out = try fixture("eq.out")
        XCTAssertEqual(out.toArray(Bool.self).filter { $0 }.count, 8)
    }

    // MARK: Gradients through `gradients(of:withRespectTo:)`

    func testMulGradientsFunctionLeavesGradUntouched() throws {
        let x = try fixture("mul.x").requiringGrad()
        let y = try fixture("mul.y").requiringGrad()
        let out = x * y
        let grads = gradients(of: [out], withRespectTo: [x, y], gradOutputs: [try fixture("mul.grad_out")])
        XCTAssertEqual(grads.count, 2)
        guard grads.count == 2, let gx = grads[0], let gy = grads[1] else {
            return XCTFail("gradients(of:) returned \(grads)")
        }
        assertClose(gx, try fixture("mul.grad_x"), "d/dx")
        assertClose(gy, try fixture("mul.grad_y"), "d/dy")
        XCTAssertNil(x.grad, "gradients(of:) must not accumulate into .grad")
        XCTAssertNil(y.grad, "gradients(of:) must not accumulate into .grad")
    }

    func testGradientsFunctionReportsUnusedInputAsNil() throws {
        let x = try fixture("exp.x").requiringGrad()
        let unused = try fixture("log.x").requiringGrad()
        let out = x.exp()
        let grads = gradients(of: [out], withRespectTo: [x, unused], gradOutputs: [try fixture("exp.grad_out")])
        guard grads.count == 2 else { return XCTFail("gradients(of:) returned \(grads.count) entries") }
        assertClose(try XCTUnwrap(grads[0]), try fixture("exp.grad_x"))
        XCTAssertNil(grads[1])
    }

    func testBackwardAccumulatesIntoGrad() throws {
        let x = try fixture("exp.x").requiringGrad()
        let gradOut = try fixture("exp.grad_out")
        x.exp().backward(gradient: gradOut)
        x.exp().backward(gradient: gradOut)
        assertClose(try XCTUnwrap(x.grad), try fixture("exp.grad_x") * 2.0)
    }
}
