import Torch

/// A lookup table of `count` vectors of size `dimension` (torch.nn.Embedding),
/// initialised N(0, 1) as in PyTorch.
public final class Embedding: Module {
    public let count: Int
    public let dimension: Int
    @Parameter public var weight: Tensor

    public init(count: Int, dimension: Int, generator: Generator? = nil) {
        self.count = count
        self.dimension = dimension
        super.init()
        weight = ParameterInitializer.normal([count, dimension], generator: generator)
    }

    /// The rows for integer `indices` of any shape; the result adds a last
    /// dimension of size `dimension`.
    public func callAsFunction(_ indices: Tensor) -> Tensor {
        embedding(indices, weight: weight)
    }
}
