import Torch
import XCTest

/// Reductions against PyTorch, forward and backward.
final class ReductionTests: XCTestCase {
    func testSumOverDim() throws {
        checkGoldenCase("sum_dim1", inputs: ["x"]) { $0[0].sum(dim: 1) }
    }

    func testMeanOverDimsKeepDim() throws {
        checkGoldenCase("mean_dims02", inputs: ["x"]) { $0[0].mean(dims: [0, 2], keepDim: true) }
    }

    func testMeanOverNegativeDimsKeepDim() throws {
        // dims [0, -1] name the same dimensions as [0, 2] for a rank-3 input.
        checkGoldenCase("mean_dims02", inputs: ["x"]) { $0[0].mean(dims: [0, -1], keepDim: true) }
    }

    func testVarianceWithBesselCorrection() throws {
        checkGoldenCase("var_dim2", inputs: ["x"]) { $0[0].variance(dims: [2], correction: 1) }
    }

    func testVarianceDefaultCorrectionIsBessel() throws {
        checkGoldenCase("var_dim2", inputs: ["x"]) { $0[0].variance(dims: [2]) }
    }

    func testPopulationStandardDeviation() throws {
        checkGoldenCase("std_dim2_pop", inputs: ["x"]) { $0[0].standardDeviation(dims: [2], correction: 0) }
    }

    func testMaxOverDimValuesIndicesAndGradient() throws {
        let x = try fixture("max_dim1.x").requiringGrad()
        let (values, indices) = try withTorchErrors { x.max(dim: 1) }
        assertClose(values, try fixture("max_dim1.out"), "values")
        assertBitwiseEqual(indices, try fixture("max_dim1.indices"), "indices")
        try withTorchErrors { values.backward(gradient: try fixture("max_dim1.grad_out")) }
        assertClose(try XCTUnwrap(x.grad), try fixture("max_dim1.grad_x"), "grad_x")
    }

    func testMinOfAllElementsIsZeroDimensional() throws {
        checkGoldenCase("min_all", inputs: ["x"]) { $0[0].min() }
    }

    func testArgmaxOverDim() throws {
        checkGoldenCase("argmax_dim2", inputs: ["x"], differentiable: false) { $0[0].argmax(dim: 2) }
        let x = try fixture("argmax_dim2.x")
        assertBitwiseEqual(x.argmax(dim: 2), try fixture("argmax_dim2.out"))
    }

    func testSumOfAllElementsIsZeroDimensional() throws {
        checkGoldenCase("sum_all", inputs: ["x"]) { $0[0].sum() }
        XCTAssertEqual(try fixture("sum_all.x").sum().item(), try fixture("sum_all.out").item(), accuracy: 1e-5)
    }

    func testMeanOfAllElementsIsZeroDimensional() throws {
        checkGoldenCase("mean_all", inputs: ["x"]) { $0[0].mean() }
    }
}
