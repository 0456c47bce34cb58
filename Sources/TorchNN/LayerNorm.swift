import Torch

/// Layer normalisation over the trailing `normalizedShape` dimensions
/// (torch.nn.LayerNorm): `weight` (ones) and `bias` (zeros) when
/// `elementwiseAffine`.
public final class LayerNorm: Module {
    public let normalizedShape: [Int]
    public let eps: Double
    @Parameter public var weight: Tensor?
    @Parameter public var bias: Tensor?

    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        super.init()
        if elementwiseAffine {
            weight = ParameterInitializer.constant(normalizedShape, value: 1)
            bias = ParameterInitializer.constant(normalizedShape, value: 0)
        }
    }

    /// Normalisation over the last dimension of size `dimension`.
    public convenience init(_ dimension: Int, eps: Double = 1e-5, elementwiseAffine: Bool = true) {
        self.init([dimension], eps: eps, elementwiseAffine: elementwiseAffine)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        layerNorm(x, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
    }
}
