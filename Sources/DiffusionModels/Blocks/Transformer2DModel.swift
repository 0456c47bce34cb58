import Torch
import TorchNN

/// diffusers' `Transformer2DModel` for continuous (image) input: GroupNorm, a projection
/// in, `BasicTransformerBlock`s over the H·W tokens, a projection out, plus the input.
///
/// The projections are 1×1 convolutions, or `Linear` layers applied to the tokens when
/// `use_linear_projection` is set (SD 2.x). Both kinds are saved under the same names
/// `proj_in` / `proj_out`, so each has two optional slots with one key, and exactly one
/// of each pair is present.
public final class Transformer2DModel: Module {
    public let useLinearProjection: Bool

    @Child public var norm: GroupNorm
    @Child(key: "proj_in") public var convolutionIn: Conv2d?
    @Child(key: "proj_in") public var linearIn: Linear?
    @Child(key: "transformer_blocks") public var transformerBlocks: [BasicTransformerBlock]
    @Child(key: "proj_out") public var convolutionOut: Conv2d?
    @Child(key: "proj_out") public var linearOut: Linear?

    /// - Parameters:
    ///   - channels: input and output channels (diffusers' in_channels).
    ///   - heads, headDimension: the attention shape; their product is the inner width.
    ///   - groups: GroupNorm groups (epsilon 1e-6, as diffusers).
    public init(
        channels: Int, heads: Int, headDimension: Int, layerCount: Int, crossAttentionDimension: Int,
        groups: Int, useLinearProjection: Bool, upcastAttention: Bool
    ) {
        self.useLinearProjection = useLinearProjection
        super.init()
        let innerDimension = heads * headDimension
        norm = GroupNorm(groupCount: groups, channelCount: channels, eps: 1e-6)
        if useLinearProjection {
            linearIn = Linear(channels, innerDimension)
        } else {
            convolutionIn = Conv2d(channels, innerDimension, kernelSize: 1)
        }
        transformerBlocks = (0..<layerCount).map { _ in
            BasicTransformerBlock(
                dimension: innerDimension, heads: heads, headDimension: headDimension,
                crossAttentionDimension: crossAttentionDimension, upcastAttention: upcastAttention)
        }
        if useLinearProjection {
            linearOut = Linear(innerDimension, channels)
        } else {
            convolutionOut = Conv2d(innerDimension, channels, kernelSize: 1)
        }
    }

    /// `hiddenStates` [B, C, H, W]; `context` [B, S, D] (the text encoder's states).
    public func callAsFunction(_ hiddenStates: Tensor, context: Tensor) -> Tensor {
        let shape = hiddenStates.shape
        let (batch, height, width) = (shape[0], shape[2], shape[3])
        // [B, C, H, W] -> [B, H·W, C]
        func toTokens(_ x: Tensor) -> Tensor {
            x.permuted([0, 2, 3, 1]).reshaped([batch, height * width, x.size(1)])
        }
        // [B, H·W, C] -> [B, C, H, W]
        func toImage(_ x: Tensor) -> Tensor {
            x.reshaped([batch, height, width, x.size(-1)]).permuted([0, 3, 1, 2]).contiguous()
        }

        var x = norm(hiddenStates)
        if let convolutionIn {
            x = toTokens(convolutionIn(x))
        } else {
            x = linearIn!(toTokens(x))
        }
        for block in transformerBlocks {
            x = block(x, context: context)
        }
        if let convolutionOut {
            x = convolutionOut(toImage(x))
        } else {
            x = toImage(linearOut!(x))
        }
        return x + hiddenStates
    }
}
