import Torch
import TorchNN

/// diffusers' `UNetMidBlock2DCrossAttn` with one layer: ResNet, transformer, ResNet,
/// all at the innermost resolution. `outputScaleFactor` is the config's
/// mid_block_scale_factor, applied by both ResNet blocks.
public final class UNetMidBlock2DCrossAttn: Module {
    // diffusers registers `attentions` before `resnets`.
    @Child public var attentions: [Transformer2DModel]
    @Child public var resnets: [ResnetBlock2D]

    public init(
        channels: Int, timeEmbeddingChannels: Int, groups: Int, eps: Double, dropout: Double,
        outputScaleFactor: Double, transformer: CrossAttentionSettings
    ) {
        super.init()
        resnets = (0..<2).map { _ in
            ResnetBlock2D(
                inChannels: channels, outChannels: channels, timeEmbeddingChannels: timeEmbeddingChannels,
                groups: groups, eps: eps, dropout: dropout, outputScaleFactor: outputScaleFactor)
        }
        attentions = [
            transformer.makeTransformer(channels: channels, groups: groups)
        ]
    }

    /// `gradientCheckpointing` checkpoints each ResNet block and transformer (see
    /// `UNet2DConditionModel.gradientCheckpointing`).
    public func callAsFunction(
        _ hiddenStates: Tensor, timeEmbedding: Tensor, encoderHiddenStates: Tensor,
        gradientCheckpointing: Bool = false
    ) -> Tensor {
        var x = resnets[0](hiddenStates, timeEmbedding: timeEmbedding, checkpointing: gradientCheckpointing)
        for (attention, resnet) in zip(attentions, resnets.dropFirst()) {
            x = attention(x, context: encoderHiddenStates, checkpointing: gradientCheckpointing)
            x = resnet(x, timeEmbedding: timeEmbedding, checkpointing: gradientCheckpointing)
        }
        return x
    }
}
