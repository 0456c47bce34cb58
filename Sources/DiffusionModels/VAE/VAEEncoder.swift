import Torch
import TorchNN

/// diffusers' VAE `Encoder`: image [B, in, H, W] to the parameters of the latent
/// Gaussian [B, 2·latent, H/f, W/f] (means, then log-variances), f = 2^(blocks - 1).
public final class VAEEncoder: Module {
    @Child(key: "conv_in") public var convIn: Conv2d
    @Child(key: "down_blocks") public var downBlocks: [DownEncoderBlock2D]
    @Child(key: "mid_block") public var midBlock: VAEMidBlock
    @Child(key: "conv_norm_out") public var convNormOut: GroupNorm
    @Child(key: "conv_out") public var convOut: Conv2d

    public init(configuration c: AutoencoderKLConfiguration) {
        super.init()
        let channels = c.blockOutChannels
        convIn = Conv2d(c.inChannels, channels[0], kernelSize: 3, padding: 1)
        downBlocks = channels.indices.map { index in
            DownEncoderBlock2D(
                inChannels: channels[max(index - 1, 0)], outChannels: channels[index],
                layerCount: c.layersPerBlock, groups: c.normNumGroups,
                addDownsample: index < channels.count - 1)
        }
        midBlock = VAEMidBlock(
            channels: channels[channels.count - 1], groups: c.normNumGroups,
            addAttention: c.midBlockAddAttention)
        convNormOut = GroupNorm(groupCount: c.normNumGroups, channelCount: channels[channels.count - 1], eps: 1e-6)
        convOut = Conv2d(channels[channels.count - 1], 2 * c.latentChannels, kernelSize: 3, padding: 1)
    }

    public func callAsFunction(_ images: Tensor) -> Tensor {
        var x = convIn(images)
        for block in downBlocks { x = block(x) }
        x = midBlock(x)
        return convOut(convNormOut(x).silu())
    }
}
