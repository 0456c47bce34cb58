import Torch
import TorchNN

/// A UNet up block: diffusers' `CrossAttnUpBlock2D` or `UpBlock2D`. Each ResNet block
/// takes the previous output concatenated (on channels) with one skip connection from
/// the down path, last one first; then an optional ×2 upsampler.
public final class UNetUpBlock: Module {
    public let hasCrossAttention: Bool

    // diffusers registers `attentions` before `resnets`.
    @Child public var attentions: [Transformer2DModel]?
    @Child public var resnets: [ResnetBlock2D]
    @Child public var upsamplers: [Upsample2D]?

    /// - Parameters:
    ///   - previousOutputChannels: channels coming from the block below.
    ///   - skipChannels: channels of the skip connections, in the order the layers use
    ///     them (diffusers: out_channels, except the last layer's, which is in_channels).
    ///   - transformer: nil builds an `UpBlock2D`.
    public init(
        previousOutputChannels: Int, skipChannels: [Int], outChannels: Int, timeEmbeddingChannels: Int,
        groups: Int, eps: Double, dropout: Double, addUpsample: Bool,
        transformer: CrossAttentionSettings?
    ) {
        hasCrossAttention = transformer != nil
        super.init()
        resnets = skipChannels.enumerated().map { index, skip in
            let input = index == 0 ? previousOutputChannels : outChannels
            return ResnetBlock2D(
                inChannels: input + skip, outChannels: outChannels,
                timeEmbeddingChannels: timeEmbeddingChannels, groups: groups, eps: eps, dropout: dropout)
        }
        if let transformer {
            attentions = skipChannels.map { _ in
                transformer.makeTransformer(channels: outChannels, groups: groups)
            }
        }
        if addUpsample {
            upsamplers = [Upsample2D(channels: outChannels)]
        }
    }

    /// - Parameters:
    ///   - skips: this block's skip connections in down-path order (`resnets.count` of
    ///     them); the first layer takes the last.
    ///   - upsampleSize: spatial size after upsampling (that of the next skip connection).
    ///   - gradientCheckpointing: checkpoint each ResNet block, transformer and the
    ///     upsampler (see `UNet2DConditionModel.gradientCheckpointing`).
    public func callAsFunction(
        _ hiddenStates: Tensor, skips: [Tensor], timeEmbedding: Tensor,
        encoderHiddenStates: Tensor, upsampleSize: (height: Int, width: Int)?,
        gradientCheckpointing: Bool = false
    ) -> Tensor {
        precondition(skips.count == resnets.count, "UNetUpBlock: \(skips.count) skips for \(resnets.count) layers")
        var x = hiddenStates
        for (index, resnet) in resnets.enumerated() {
            x = Tensor.cat([x, skips[skips.count - 1 - index]], dim: 1)
            x = resnet(x, timeEmbedding: timeEmbedding, checkpointing: gradientCheckpointing)
            if let attentions {
                x = attentions[index](x, context: encoderHiddenStates, checkpointing: gradientCheckpointing)
            }
        }
        if let upsampler = upsamplers?.first {
            x = upsampler(x, outputSize: upsampleSize, checkpointing: gradientCheckpointing)
        }
        return x
    }
}
