import Torch
import TorchNN

/// diffusers' `DownEncoderBlock2D`: ResNet blocks without time embedding, then a
/// stride-2 convolution with diffusers' asymmetric padding (except the last block).
public final class DownEncoderBlock2D: Module {
    @Child public var resnets: [ResnetBlock2D]
    @Child public var downsamplers: [Downsample2D]?

    public init(inChannels: Int, outChannels: Int, layerCount: Int, groups: Int, addDownsample: Bool) {
        super.init()
        resnets = (0..<layerCount).map { index in
            ResnetBlock2D(
                inChannels: index == 0 ? inChannels : outChannels, outChannels: outChannels,
                timeEmbeddingChannels: nil, groups: groups, eps: 1e-6)
        }
        if addDownsample {
            downsamplers = [Downsample2D(channels: outChannels, padding: 0)]
        }
    }

    public func callAsFunction(_ hiddenStates: Tensor) -> Tensor {
        var x = hiddenStates
        for resnet in resnets { x = resnet(x) }
        if let downsampler = downsamplers?.first { x = downsampler(x) }
        return x
    }
}
