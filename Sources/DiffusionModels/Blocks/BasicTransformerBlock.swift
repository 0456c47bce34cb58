import Torch
import TorchNN

/// diffusers' `BasicTransformerBlock` with layer norms (norm_type "layer_norm"):
/// self-attention, cross-attention to the text, feed-forward, each pre-normed and
/// added back to its input.
public final class BasicTransformerBlock: Module {
    @Child public var norm1: LayerNorm
    @Child public var attn1: Attention
    @Child public var norm2: LayerNorm
    @Child public var attn2: Attention
    @Child public var norm3: LayerNorm
    @Child public var ff: FeedForward

    public init(
        dimension: Int, heads: Int, headDimension: Int, crossAttentionDimension: Int,
        upcastAttention: Bool, normEps: Double = 1e-5
    ) {
        super.init()
        norm1 = LayerNorm(dimension, eps: normEps)
        attn1 = Attention(
            queryDimension: dimension, heads: heads, headDimension: headDimension,
            upcastAttention: upcastAttention)
        norm2 = LayerNorm(dimension, eps: normEps)
        attn2 = Attention(
            queryDimension: dimension, crossAttentionDimension: crossAttentionDimension, heads: heads,
            headDimension: headDimension, upcastAttention: upcastAttention)
        norm3 = LayerNorm(dimension, eps: normEps)
        ff = FeedForward(dimension: dimension)
    }

    /// `hiddenStates` [B, L, dimension]; `context` [B, S, crossAttentionDimension].
    public func callAsFunction(_ hiddenStates: Tensor, context: Tensor) -> Tensor {
        var x = attn1(norm1(hiddenStates)) + hiddenStates
        x = attn2(norm2(x), context: context) + x
        return ff(norm3(x)) + x
    }
}
