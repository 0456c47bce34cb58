import Torch
import TorchNN
import XCTest

final class NormalizationTests: XCTestCase {
    func testGroupNormStartsAsPlainNormalisation() {
        let norm = GroupNorm(groupCount: 2, channelCount: 4, eps: 1e-6)
        XCTAssertEqual(norm.namedParameters().map(\.name), ["weight", "bias"])
        XCTAssertEqual(norm.weight!.toArray(Float.self), [1, 1, 1, 1])
        XCTAssertEqual(norm.bias!.toArray(Float.self), [0, 0, 0, 0])
        let x = Tensor.randn([2, 4, 3, 3])
        assertClose(norm(x), groupNorm(x, groups: 2, weight: nil, bias: nil, eps: 1e-6), tolerance: 1e-6)
        XCTAssertTrue(GroupNorm(groupCount: 2, channelCount: 4, affine: false).namedParameters().isEmpty)
    }

    func testLayerNormNormalisesTheLastDimensions() {
        let norm = LayerNorm(8)
        withNoGrad { norm.weight!.fill(2) }
        let x = Tensor.randn([3, 8]) * 5 + 1
        let y = norm(x)
        let standardised =
            (x - x.mean(dim: -1, keepDim: true))
            / (x.variance(dims: [-1], correction: 0, keepDim: true) + 1e-5).sqrt()
        assertClose(y, standardised * 2, tolerance: 1e-5)
        XCTAssertTrue(LayerNorm([2, 8], elementwiseAffine: false).namedParameters().isEmpty)
    }
}
