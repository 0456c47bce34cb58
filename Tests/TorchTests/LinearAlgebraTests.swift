import Torch
import XCTest

/// Matrix products against PyTorch, forward and backward.
final class LinearAlgebraTests: XCTestCase {
    func testMatmulBroadcastsBatch() throws {
        checkGoldenCase("matmul", inputs: ["x", "w"]) { $0[0].matmul($0[1]) }
    }

    func testBatchedMatmul() throws {
        checkGoldenCase("bmm", inputs: ["x", "y"]) { $0[0].bmm($0[1]) }
    }

    func testBaddbmmWithBetaAndAlpha() throws {
        checkGoldenCase("baddbmm", inputs: ["input", "b1", "b2"]) {
            baddbmm($0[0], $0[1], $0[2], beta: 0.5, alpha: 2.0)
        }
    }

    func testLinearWithBias() throws {
        checkGoldenCase("linear", inputs: ["x", "w", "b"]) { linear($0[0], weight: $0[1], bias: $0[2]) }
    }

    func testLinearWithoutBiasEqualsMatmulWithTransposedWeight() throws {
        // F.linear(x, w) = x @ w^T: the golden output minus the bias.
        let x = try fixture("linear.x")
        let w = try fixture("linear.w")
        let out = try fixture("linear.out")
        let b = try fixture("linear.b")
        let expected = out - b
        assertClose(linear(x, weight: w), expected, rtol: 1e-5, atol: 1e-5)
    }
}
