import Torch
import XCTest

/// torch.nn.functional ops against PyTorch: convolution, resampling, normalisation,
/// softmax, activations and attention, forward and backward.
final class NeuralNetworkOpTests: XCTestCase {
    /// Attention and softmax gradients sum many products; allow a little more absolute error.
    let attentionGrad = Tolerance.relative(1e-5, absolute: 1e-5)

    // MARK: Convolution

    func testConv2dWithBiasPadding1() throws {
        checkGoldenCase("conv2d", inputs: ["x", "w", "b"], gradTolerance: .relative(1e-5, absolute: 1e-5)) {
            conv2d($0[0], weight: $0[1], bias: $0[2], stride: 1, padding: 1)
        }
    }

    func testConv2dStride2WithoutBias() throws {
        checkGoldenCase("conv2d_stride2", inputs: ["x", "w"], gradTolerance: .relative(1e-5, absolute: 1e-5)) {
            conv2d($0[0], weight: $0[1], bias: nil, stride: 2, padding: 1)
        }
    }

    func testConv2dStride2WithTupleArguments() throws {
        checkGoldenCase("conv2d_stride2", inputs: ["x", "w"], gradTolerance: .relative(1e-5, absolute: 1e-5)) {
            conv2d($0[0], weight: $0[1], bias: nil, stride: (2, 2), padding: (1, 1), dilation: (1, 1), groups: 1)
        }
    }

    func testConv2dGroups() throws {
        checkGoldenCase("conv2d_groups", inputs: ["x", "w", "b"], gradTolerance: .relative(1e-5, absolute: 1e-5)) {
            conv2d($0[0], weight: $0[1], bias: $0[2], stride: 1, padding: 1, groups: 2)
        }
    }

    // MARK: Resampling

    func testUpsampleNearestByScale() throws {
        checkGoldenCase("upsample_nearest2x", inputs: ["x"]) { upsampleNearest2d($0[0], scale: 2) }
    }

    func testUpsampleNearestBySize() throws {
        checkGoldenCase("upsample_nearest2x", inputs: ["x"]) { upsampleNearest2d($0[0], height: 6, width: 6) }
    }

    // MARK: Normalisation

    func testGroupNorm() throws {
        checkGoldenCase("group_norm", inputs: ["x", "w", "b"], gradTolerance: .relative(1e-5, absolute: 1e-5)) {
            groupNorm($0[0], groups: 2, weight: $0[1], bias: $0[2], eps: 1e-5)
        }
    }

    func testLayerNorm() throws {
        checkGoldenCase("layer_norm", inputs: ["x", "w", "b"], gradTolerance: .relative(1e-5, absolute: 1e-5)) {
            layerNorm($0[0], normalizedShape: [4], weight: $0[1], bias: $0[2], eps: 1e-5)
        }
    }

    // MARK: Softmax

    func testSoftmaxOverDim1() throws {
        checkGoldenCase("softmax_dim1", inputs: ["x"], gradTolerance: attentionGrad) { $0[0].softmax(dim: 1) }
    }

    func testLogSoftmaxOverLastDim() throws {
        checkGoldenCase("log_softmax_last", inputs: ["x"], gradTolerance: attentionGrad) { $0[0].logSoftmax(dim: -1) }
    }

    // MARK: Activations

    func testSiLU() throws {
        checkGoldenCase("silu", inputs: ["x"]) { $0[0].silu() }
    }

    func testGELUExact() throws {
        checkGoldenCase("gelu", inputs: ["x"]) { $0[0].gelu() }
    }

    func testGELUTanhApproximation() throws {
        checkGoldenCase("gelu_tanh", inputs: ["x"]) { $0[0].gelu(approximate: .tanh) }
    }

    func testGELUVariantsDiffer() throws {
        // The exact and tanh forms must not be silently the same kernel.
        let x = try fixture("gelu.x")
        let difference = (x.gelu() - x.gelu(approximate: .tanh)).abs().max().item()
        XCTAssertGreaterThan(difference, 1e-5)
    }

    func testQuickGELU() throws {
        checkGoldenCase("quick_gelu", inputs: ["x"]) { $0[0].quickGELU() }
    }

    func testSigmoid() throws {
        checkGoldenCase("sigmoid", inputs: ["x"]) { $0[0].sigmoid() }
    }

    // MARK: Attention

    func testScaledDotProductAttention() throws {
        checkGoldenCase("sdpa", inputs: ["q", "k", "v"], gradTolerance: attentionGrad) {
            scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2])
        }
    }

    func testScaledDotProductAttentionExplicitScale() throws {
        checkGoldenCase("sdpa_scaled", inputs: ["q", "k", "v"], gradTolerance: attentionGrad) {
            scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], scale: 0.3)
        }
    }

    func testScaledDotProductAttentionDefaultScaleIsInverseSqrtOfHeadDim() throws {
        // scale = 1/sqrt(8) given explicitly reproduces the default-scale golden output.
        checkGoldenCase("sdpa", inputs: ["q", "k", "v"], gradTolerance: attentionGrad) {
            scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], scale: 1 / Double(8).squareRoot())
        }
    }

    func testScaledDotProductAttentionAdditiveMask() throws {
        checkGoldenCase("sdpa_mask", inputs: ["q", "k", "v", "mask"], noGrad: ["mask"], gradTolerance: attentionGrad) {
            scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: $0[3])
        }
    }

    func testScaledDotProductAttentionMatchesExplicitFormula() throws {
        // softmax(q k^T * scale) v, composed from our own ops, against the golden output.
        let q = try fixture("sdpa_scaled.q")
        let k = try fixture("sdpa_scaled.k")
        let v = try fixture("sdpa_scaled.v")
        let out = (q.matmul(k.transposed(-2, -1)) * 0.3).softmax(dim: -1).matmul(v)
        assertClose(out, try fixture("sdpa_scaled.out"), rtol: 1e-5, atol: 1e-5)
    }
}
