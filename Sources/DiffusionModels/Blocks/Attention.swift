import Torch
import TorchNN

/// diffusers' `Attention` with its default processor (`AttnProcessor2_0`: PyTorch's
/// scaled_dot_product_attention, scale 1/√headDimension, no mask).
///
/// Two uses:
/// - in transformer blocks: [B, L, C] input, self-attention or cross-attention over a
///   context [B, S, crossAttentionDimension], projections without bias;
/// - in the VAE mid-block: [B, C, H, W] input treated as H·W tokens, a GroupNorm first,
///   projections with bias, the input added back and the sum divided by
///   `rescaleOutputFactor`.
///
/// The projections are `Linear`, so LoRA adapters can replace `to_q`, `to_k`, `to_v`
/// and `to_out.0`. (diffusers' `to_out.1` is a dropout of probability 0 in every
/// configuration we load; it has no parameters and is left out.)
public final class Attention: Module {
    public let heads: Int
    public let headDimension: Int
    /// Compute the attention itself in float32 for float16/bfloat16 inputs (diffusers'
    /// `upcast_attention`, set by SD 2.x configs, and `upcast_softmax` of the VAE),
    /// which keeps the softmax of large logits from overflowing. float32 inputs are
    /// unaffected.
    public let upcastAttention: Bool
    public let residualConnection: Bool
    public let rescaleOutputFactor: Double

    @Child(key: "group_norm") public var groupNorm: GroupNorm?
    @Child(key: "to_q") public var toQ: Linear
    @Child(key: "to_k") public var toK: Linear
    @Child(key: "to_v") public var toV: Linear
    @Child(key: "to_out.0") public var toOut: Linear

    /// - Parameters:
    ///   - queryDimension: channels of the input (and of the output).
    ///   - crossAttentionDimension: channels of the context; nil for self-attention.
    ///   - bias: whether to_q, to_k and to_v have a bias (to_out.0 always has one).
    ///   - groupNorm: groups and epsilon of a GroupNorm applied to the input first.
    public init(
        queryDimension: Int, crossAttentionDimension: Int? = nil, heads: Int, headDimension: Int,
        bias: Bool = false, upcastAttention: Bool = false, groupNorm: (groups: Int, eps: Double)? = nil,
        residualConnection: Bool = false, rescaleOutputFactor: Double = 1
    ) {
        precondition(
            heads > 0 && headDimension > 0,
            "Attention: heads (\(heads)) and head dimension (\(headDimension)) must be positive")
        self.heads = heads
        self.headDimension = headDimension
        self.upcastAttention = upcastAttention
        self.residualConnection = residualConnection
        self.rescaleOutputFactor = rescaleOutputFactor
        super.init()
        if let groupNorm {
            self.groupNorm = GroupNorm(groupCount: groupNorm.groups, channelCount: queryDimension, eps: groupNorm.eps)
        }
        let innerDimension = heads * headDimension
        let contextDimension = crossAttentionDimension ?? queryDimension
        toQ = Linear(queryDimension, innerDimension, bias: bias)
        toK = Linear(contextDimension, innerDimension, bias: bias)
        toV = Linear(contextDimension, innerDimension, bias: bias)
        toOut = Linear(innerDimension, queryDimension)
    }

    /// `hiddenStates` [B, L, C] or [B, C, H, W]; `context` [B, S, D] for cross-attention,
    /// nil to attend to `hiddenStates` itself. The result has the input's shape.
    public func callAsFunction(_ hiddenStates: Tensor, context: Tensor? = nil) -> Tensor {
        let residual = hiddenStates
        let imageShape = hiddenStates.rank == 4 ? hiddenStates.shape : nil
        var tokens = hiddenStates
        if let imageShape {
            // [B, C, H, W] -> [B, H·W, C]
            tokens = tokens.reshaped([imageShape[0], imageShape[1], imageShape[2] * imageShape[3]]).transposed(1, 2)
        }
        if let groupNorm {
            tokens = groupNorm(tokens.transposed(1, 2)).transposed(1, 2)
        }
        let batch = tokens.size(0)
        let source = context ?? tokens
        // [B, L, heads·d] -> [B, heads, L, d]
        func splitHeads(_ x: Tensor) -> Tensor {
            x.reshaped([batch, -1, heads, headDimension]).transposed(1, 2)
        }
        let query = splitHeads(toQ(tokens))
        let key = splitHeads(toK(source))
        let value = splitHeads(toV(source))

        var attended: Tensor
        if upcastAttention && query.dtype != .float32 {
            attended = scaledDotProductAttention(
                query: query.to(dtype: .float32), key: key.to(dtype: .float32),
                value: value.to(dtype: .float32)
            ).to(dtype: query.dtype)
        } else {
            attended = scaledDotProductAttention(query: query, key: key, value: value)
        }
        // [B, heads, L, d] -> [B, L, heads·d]
        attended = attended.transposed(1, 2).reshaped([batch, -1, heads * headDimension])
        var output = toOut(attended)

        if let imageShape {
            output = output.transposed(-1, -2).reshaped(imageShape)
        }
        if residualConnection {
            output = output + residual
        }
        return rescaleOutputFactor == 1 ? output : output / rescaleOutputFactor
    }
}
