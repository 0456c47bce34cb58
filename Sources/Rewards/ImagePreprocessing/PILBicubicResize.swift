import ImageCodecs
import Torch

/// PIL's `Image.resize(..., BICUBIC)` for 8-bit RGB, on libtorch's antialiased
/// bicubic interpolation (the same a = −0.5 kernel, widened by the scale when
/// shrinking, as PIL).
///
/// PIL resizes in two passes, horizontal then vertical, and stores the
/// intermediate image as 8-bit (rounded half up, clipped to 0...255). Bicubic
/// overshoots, so one float pass over both axes differs from PIL by up to ~16
/// levels on noisy images; two passes with that rounding in between come within
/// one level (PIL's weights are 22-bit fixed point, ours float). Measured in
/// docs/aesthetic-reward.md.
enum PILBicubicResize {
    /// [3, height, width] uint8.
    static func resize(_ image: RGBImage, to size: (height: Int, width: Int)) -> Tensor {
        var x = Tensor(image.pixels, shape: [image.height, image.width, 3]).permuted([2, 0, 1])
            .to(dtype: .float32).unsqueezed(0)
        if size.width != image.width { x = pass(x, height: image.height, width: size.width) }
        if size.height != image.height { x = pass(x, height: size.height, width: size.width) }
        return x.squeezed(0).to(dtype: .uint8)
    }

    private static func pass(_ x: Tensor, height: Int, width: Int) -> Tensor {
        (interpolate(x, height: height, width: width, mode: .bicubic, antialias: true) + 0.5).floor()
            .clamped(min: 0, max: 255)
    }
}
