import Torch
import TorchNN

/// diffusers' `Downsample2D` with a convolution: a 3×3 convolution of stride 2 named
/// `conv`.
///
/// The UNet pads symmetrically (`padding` 1). The VAE encoder is built with padding 0,
/// and then diffusers pads right and bottom by one pixel before the convolution, so an
/// even side still halves exactly; this class does the same when `padding` is 0.
public final class Downsample2D: Module {
    public let padding: Int
    @Child public var conv: Conv2d

    public init(channels: Int, outChannels: Int? = nil, padding: Int = 1) {
        self.padding = padding
        super.init()
        conv = Conv2d(channels, outChannels ?? channels, kernelSize: 3, stride: 2, padding: padding)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        // F.pad order: (left, right, top, bottom).
        let input = padding == 0 ? x.padded([0, 1, 0, 1]) : x
        return conv(input)
    }
}
