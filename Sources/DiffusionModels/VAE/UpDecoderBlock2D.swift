import Torch
import TorchNN

/// diffusers' `UpDecoderBlock2D`: ResNet blocks without time embedding (the VAE decoder
/// builds layers_per_block + 1 of them), then ×2 upsampling (except the last block).
public final class UpDecoderBlock2D: Module {
    @Child public var resnets: [ResnetBlock2D]
    @Child public var upsamplers: [Upsample2D]?

    public init(inChannels: Int, outChannels: Int, layerCount: Int, groups: Int, addUpsample: Bool) {
        super.init()
        resnets = (0..<layerCount).map { index in
            ResnetBlock2D(
                inChannels: index == 0 ? inChannels : outChannels, outChannels: outChannels,
                timeEmbeddingChannels: nil, groups: groups, eps: 1e-6)
        }
        if addUpsample {
            upsamplers = [Upsample2D(channels: outChannels)]
        }
    }

    public func callAsFunction(_ hiddenStates: Tensor) -> Tensor {
        var x = hiddenStates
        for resnet in resnets { x = resnet(x) }
        if let upsampler = upsamplers?.first { x = upsampler(x) }
        return x
    }
}
