import Torch

/// A running average of parameters (shadow = decay·shadow + (1 − decay)·param),
/// kept outside the model: the averaged weights are what gets saved, while the
/// optimiser keeps stepping the raw ones. The decay warms up as (1 + n) / (10 + n)
/// after n updates (as diffusers' EMAModel): with a fixed 0.999 over a 2,400-step
/// run, 9 % of the random initial weights would still be in the average.
public final class ExponentialMovingAverage {
    public let decay: Double
    private let parameters: [(name: String, tensor: Tensor)]
    public private(set) var shadow: [String: Tensor]
    public private(set) var updates = 0

    public init(parameters: [(name: String, tensor: Tensor)], decay: Double) {
        self.decay = decay
        self.parameters = parameters
        shadow = withNoGrad {
            Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.tensor.detached().clone()) })
        }
    }

    public func update() {
        let decay = Swift.min(self.decay, Double(1 + updates) / Double(10 + updates))
        updates += 1
        withNoGrad {
            for (name, tensor) in parameters {
                shadow[name] = shadow[name]! * decay + tensor.detached() * (1 - decay)
            }
        }
    }
}
