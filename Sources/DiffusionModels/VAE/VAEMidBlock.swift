import Torch
import TorchNN

/// diffusers' `UNetMidBlock2D` as the VAE builds it: ResNet, single-head self-attention
/// over all pixels (with GroupNorm, residual and bias, diffusers' former `AttentionBlock`),
/// ResNet; no time embedding, epsilon 1e-6.
public final class VAEMidBlock: Module {
    // diffusers registers `attentions` before `resnets`.
    /// nil when the config sets mid_block_add_attention to false.
    @Child public var attentions: [Attention]?
    @Child public var resnets: [ResnetBlock2D]

    public init(channels: Int, groups: Int, addAttention: Bool) {
        super.init()
        let eps = 1e-6
        resnets = (0..<2).map { _ in
            ResnetBlock2D(
                inChannels: channels, outChannels: channels, timeEmbeddingChannels: nil, groups: groups, eps: eps)
        }
        if addAttention {
            // One head as wide as the channels (diffusers: attention_head_dim = channels).
            // `upcast_softmax` of the original block: half-precision inputs attend in float32.
            attentions = [
                Attention(
                    queryDimension: channels, heads: 1, headDimension: channels, bias: true,
                    upcastAttention: true, groupNorm: (groups, eps), residualConnection: true)
            ]
        }
    }

    public func callAsFunction(_ hiddenStates: Tensor) -> Tensor {
        var x = resnets[0](hiddenStates)
        if let attention = attentions?.first {
            x = attention(x)
        }
        return resnets[1](x)
    }
}
