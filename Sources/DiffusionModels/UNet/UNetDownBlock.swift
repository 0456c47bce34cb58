import Torch
import TorchNN

/// A UNet down block: diffusers' `CrossAttnDownBlock2D` (ResNet blocks, each followed by
/// a `Transformer2DModel`) or `DownBlock2D` (ResNet blocks only), then an optional
/// stride-2 downsampler. One class for both because they differ only in the transformers.
public final class UNetDownBlock: Module {
    public let hasCrossAttention: Bool

    // diffusers registers `attentions` before `resnets`.
    @Child public var attentions: [Transformer2DModel]?
    @Child public var resnets: [ResnetBlock2D]
    @Child public var downsamplers: [Downsample2D]?

    /// - Parameter transformer: nil builds a `DownBlock2D`, otherwise a `CrossAttnDownBlock2D`.
    public init(
        inChannels: Int, outChannels: Int, timeEmbeddingChannels: Int, layerCount: Int, groups: Int,
        eps: Double, dropout: Double, addDownsample: Bool, downsamplePadding: Int,
        transformer: CrossAttentionSettings?
    ) {
        hasCrossAttention = transformer != nil
        super.init()
        resnets = (0..<layerCount).map { index in
            ResnetBlock2D(
                inChannels: index == 0 ? inChannels : outChannels, outChannels: outChannels,
                timeEmbeddingChannels: timeEmbeddingChannels, groups: groups, eps: eps, dropout: dropout)
        }
        if let transformer {
            attentions = (0..<layerCount).map { _ in
                transformer.makeTransformer(channels: outChannels, groups: groups)
            }
        }
        if addDownsample {
            downsamplers = [Downsample2D(channels: outChannels, padding: downsamplePadding)]
        }
    }

    /// Returns the block's output and the states the up path takes as skip connections:
    /// the output of every layer, then the downsampled output. `gradientCheckpointing`
    /// checkpoints each ResNet block and transformer (see `UNet2DConditionModel.gradientCheckpointing`).
    public func callAsFunction(
        _ hiddenStates: Tensor, timeEmbedding: Tensor, encoderHiddenStates: Tensor,
        gradientCheckpointing: Bool = false
    ) -> (output: Tensor, skips: [Tensor]) {
        var x = hiddenStates
        var skips: [Tensor] = []
        for (index, resnet) in resnets.enumerated() {
            x = resnet(x, timeEmbedding: timeEmbedding, checkpointing: gradientCheckpointing)
            if let attentions {
                x = attentions[index](x, context: encoderHiddenStates, checkpointing: gradientCheckpointing)
            }
            skips.append(x)
        }
        if let downsampler = downsamplers?.first {
            x = downsampler(x)
            skips.append(x)
        }
        return (x, skips)
    }
}
