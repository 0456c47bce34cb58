import Torch
import TorchNN

/// diffusers' VAE `Decoder`: latents [B, latent, h, w] to images [B, out, h·f, w·f].
public final class VAEDecoder: Module {
    // diffusers registers `up_blocks` (empty) before `mid_block`.
    @Child(key: "conv_in") public var convIn: Conv2d
    @Child(key: "up_blocks") public var upBlocks: [UpDecoderBlock2D]
    @Child(key: "mid_block") public var midBlock: VAEMidBlock
    @Child(key: "conv_norm_out") public var convNormOut: GroupNorm
    @Child(key: "conv_out") public var convOut: Conv2d

    public init(configuration c: AutoencoderKLConfiguration) {
        super.init()
        let reversed = Array(c.blockOutChannels.reversed())
        convIn = Conv2d(c.latentChannels, reversed[0], kernelSize: 3, padding: 1)
        midBlock = VAEMidBlock(channels: reversed[0], groups: c.normNumGroups, addAttention: c.midBlockAddAttention)
        upBlocks = reversed.indices.map { index in
            UpDecoderBlock2D(
                inChannels: reversed[max(index - 1, 0)], outChannels: reversed[index],
                layerCount: c.layersPerBlock + 1, groups: c.normNumGroups,
                addUpsample: index < reversed.count - 1)
        }
        convNormOut = GroupNorm(groupCount: c.normNumGroups, channelCount: reversed[reversed.count - 1], eps: 1e-6)
        convOut = Conv2d(reversed[reversed.count - 1], c.outChannels, kernelSize: 3, padding: 1)
    }

    public func callAsFunction(_ latents: Tensor) -> Tensor {
        var x = midBlock(convIn(latents))
        for block in upBlocks { x = block(x) }
        return convOut(convNormOut(x).silu())
    }
}
