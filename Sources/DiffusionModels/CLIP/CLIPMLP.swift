import Torch
import TorchNN

/// The feed-forward block of a CLIP encoder layer (transformers' CLIPMLP):
/// `fc1` hidden → intermediate, the activation, `fc2` intermediate → hidden.
public final class CLIPMLP: Module {
    public let activation: CLIPActivation
    @Child(key: "fc1") public var expand: Linear
    @Child(key: "fc2") public var project: Linear

    public init(shape: CLIPEncoderShape) {
        activation = shape.activation
        super.init()
        expand = Linear(shape.hiddenSize, shape.intermediateSize)
        project = Linear(shape.intermediateSize, shape.hiddenSize)
    }

    public convenience init(configuration: CLIPTextConfiguration) {
        self.init(shape: configuration.encoderShape)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let expanded = expand(x)
        switch activation {
        case .quickGELU: return project(expanded.quickGELU())
        case .gelu: return project(expanded.gelu())
        }
    }
}
