import Torch

/// Group normalisation over NC... input (torch.nn.GroupNorm): per-channel
/// `weight` (ones) and `bias` (zeros) when `affine`.
public final class GroupNorm: Module {
    public let groupCount: Int
    public let channelCount: Int
    public let eps: Double
    @Parameter public var weight: Tensor?
    @Parameter public var bias: Tensor?

    public init(groupCount: Int, channelCount: Int, eps: Double = 1e-5, affine: Bool = true) {
        precondition(
            groupCount > 0 && channelCount % groupCount == 0,
            "TorchNN.GroupNorm: \(channelCount) channels do not split into \(groupCount) groups")
        self.groupCount = groupCount
        self.channelCount = channelCount
        self.eps = eps
        super.init()
        if affine {
            weight = ParameterInitializer.constant([channelCount], value: 1)
            bias = ParameterInitializer.constant([channelCount], value: 0)
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        groupNorm(x, groups: groupCount, weight: weight, bias: bias, eps: eps)
    }
}
