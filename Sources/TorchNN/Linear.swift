import Torch

/// y = x Wᵀ + b (torch.nn.Linear): `weight` [out, in], optional `bias` [out].
/// Open so that `LoRALinear` can stand in any `Linear` slot.
open class Linear: Module {
    public let inFeatures: Int
    public let outFeatures: Int
    @Parameter public var weight: Tensor
    @Parameter public var bias: Tensor?

    /// PyTorch's default initialisation: weight and bias U(±1/√in).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: Generator? = nil) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        super.init()
        weight = ParameterInitializer.kaimingUniform(
            [outFeatures, inFeatures], fanIn: inFeatures,
            generator: generator)
        if bias {
            let bound = inFeatures > 0 ? 1 / Double(inFeatures).squareRoot() : 0
            self.bias = ParameterInitializer.uniform([outFeatures], bound: bound, generator: generator)
        }
    }

    /// A layer around existing tensors (shared, not copied; they become parameters
    /// that require gradients, as `nn.Parameter` would make them).
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2, "TorchNN.Linear: weight must be [out, in], got \(weight.shape)")
        precondition(
            bias == nil || bias!.shape == [weight.size(0)],
            "TorchNN.Linear: bias shape \(bias!.shape) does not match weight \(weight.shape)")
        self.inFeatures = weight.size(1)
        self.outFeatures = weight.size(0)
        super.init()
        self.weight = weight
        self.bias = bias
    }

    open func callAsFunction(_ x: Tensor) -> Tensor {
        linear(x, weight: weight, bias: bias)
    }
}
