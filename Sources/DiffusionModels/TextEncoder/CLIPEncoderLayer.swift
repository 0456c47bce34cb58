import Torch
import TorchNN

/// One pre-norm transformer block of CLIP's text encoder (transformers'
/// CLIPEncoderLayer): x + attention(layer_norm1(x)), then h + mlp(layer_norm2(h)).
public final class CLIPEncoderLayer: Module {
    @Child(key: "self_attn") public var selfAttention: CLIPAttention
    @Child(key: "layer_norm1") public var attentionNorm: LayerNorm
    @Child(key: "mlp") public var mlp: CLIPMLP
    @Child(key: "layer_norm2") public var mlpNorm: LayerNorm

    public init(configuration: CLIPTextConfiguration) {
        super.init()
        selfAttention = CLIPAttention(configuration: configuration)
        attentionNorm = LayerNorm(configuration.hiddenSize, eps: configuration.layerNormEpsilon)
        mlp = CLIPMLP(configuration: configuration)
        mlpNorm = LayerNorm(configuration.hiddenSize, eps: configuration.layerNormEpsilon)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let attended = x + selfAttention(attentionNorm(x))
        return attended + mlp(mlpNorm(attended))
    }
}
