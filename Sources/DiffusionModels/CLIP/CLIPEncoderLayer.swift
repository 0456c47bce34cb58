import Torch
import TorchNN

/// One pre-norm transformer block of a CLIP tower, text or vision (transformers'
/// CLIPEncoderLayer): x + attention(layer_norm1(x)), then h + mlp(layer_norm2(h)).
public final class CLIPEncoderLayer: Module {
    @Child(key: "self_attn") public var selfAttention: CLIPAttention
    @Child(key: "layer_norm1") public var attentionNorm: LayerNorm
    @Child(key: "mlp") public var mlp: CLIPMLP
    @Child(key: "layer_norm2") public var mlpNorm: LayerNorm

    public init(shape: CLIPEncoderShape) {
        super.init()
        selfAttention = CLIPAttention(shape: shape)
        attentionNorm = LayerNorm(shape.hiddenSize, eps: shape.layerNormEpsilon)
        mlp = CLIPMLP(shape: shape)
        mlpNorm = LayerNorm(shape.hiddenSize, eps: shape.layerNormEpsilon)
    }

    public convenience init(configuration: CLIPTextConfiguration) {
        self.init(shape: configuration.encoderShape)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let attended = x + selfAttention(attentionNorm(x))
        return attended + mlp(mlpNorm(attended))
    }
}
