import Torch

/// Zeroes elements with probability `p` and scales the rest by 1 / (1 - p) in
/// training mode; the identity in evaluation mode (torch.nn.Dropout).
public final class Dropout: Module {
    public let p: Double

    public init(p: Double = 0.5) {
        precondition((0...1).contains(p), "TorchNN.Dropout: p must be in [0, 1], got \(p)")
        self.p = p
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        dropout(x, p: p, training: training)
    }
}
