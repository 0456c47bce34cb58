import Torch

/// 2-D convolution over NCHW input (torch.nn.Conv2d) with a square kernel:
/// `weight` [out, in / groups, k, k], optional `bias` [out].
public final class Conv2d: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let groups: Int
    @Parameter public var weight: Tensor
    @Parameter public var bias: Tensor?

    /// PyTorch's default initialisation: weight and bias U(±1/√fanIn) with
    /// fanIn = in / groups · k².
    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        groups: Int = 1, bias: Bool = true, generator: Generator? = nil
    ) {
        precondition(
            groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
            "TorchNN.Conv2d: \(inChannels) → \(outChannels) channels do not split into \(groups) groups")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.groups = groups
        super.init()
        let fanIn = inChannels / groups * kernelSize * kernelSize
        weight = ParameterInitializer.kaimingUniform(
            [outChannels, inChannels / groups, kernelSize, kernelSize],
            fanIn: fanIn, generator: generator)
        if bias {
            let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
            self.bias = ParameterInitializer.uniform([outChannels], bound: bound, generator: generator)
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, groups: groups)
    }
}
