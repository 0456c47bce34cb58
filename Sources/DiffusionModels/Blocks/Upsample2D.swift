import Torch
import TorchNN

/// diffusers' `Upsample2D` with a convolution: nearest-neighbour upsampling (×2, or to
/// an explicit size) followed by a 3×3 convolution named `conv`.
public final class Upsample2D: Module {
    @Child public var conv: Conv2d

    public init(channels: Int, outChannels: Int? = nil) {
        super.init()
        conv = Conv2d(channels, outChannels ?? channels, kernelSize: 3, padding: 1)
    }

    /// `outputSize` overrides the ×2 factor. The UNet passes the size of the skip
    /// connection that comes next, which equals ×2 for sides divisible by the total
    /// down-sampling factor and keeps other sizes aligned (diffusers' `upsample_size`).
    /// Nearest with size 2n and with scale 2 pick the same source pixels.
    public func callAsFunction(_ x: Tensor, outputSize: (height: Int, width: Int)? = nil) -> Tensor {
        let upsampled =
            outputSize.map { upsampleNearest2d(x, height: $0.height, width: $0.width) }
            ?? upsampleNearest2d(x, scale: 2)
        return conv(upsampled)
    }
}
