import ImageCodecs
import Torch

/// The evaluation preprocessing of HPS v2's copy of OpenCLIP, with the longest side
/// fitted: the image to floats in 0...1, resized so that its longest side is `size`
/// (the other `round(side · size / longest)`, halves to even) by antialiased
/// bicubic interpolation of the float tensor (not PIL: nothing is rounded to
/// 8 bits or clamped), centred on a black `size`×`size` square (the odd pixel after
/// the image), normalised with OpenAI CLIP's mean and standard deviation.
///
/// Unlike CLIPImageProcessor nothing is cropped, so a wide image keeps its sides.
/// Square images, what diffusion models generate, are only resized.
public struct OpenCLIPImagePreprocessing: Equatable, Sendable {
    public var size: Int
    public var mean: [Double]
    public var standardDeviation: [Double]

    public init(
        size: Int, mean: [Double] = CLIPImagePreprocessing.clipMean,
        standardDeviation: [Double] = CLIPImagePreprocessing.clipStandardDeviation
    ) {
        precondition(size > 0, "OpenCLIPImagePreprocessing: size must be positive, got \(size)")
        self.size = size
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// (height, width) after resizing; an image whose longest side is `size` keeps its size.
    public func resizedSize(_ image: RGBImage) -> (height: Int, width: Int) {
        let scale = Double(size) / Double(max(image.width, image.height))
        guard scale != 1 else { return (image.height, image.width) }
        return (
            max(1, Int((Double(image.height) * scale).rounded(.toNearestOrEven))),
            max(1, Int((Double(image.width) * scale).rounded(.toNearestOrEven)))
        )
    }

    /// The resized image [3, h, w] in float32, 0...1 (before padding and normalising).
    public func resized(_ image: RGBImage) -> Tensor {
        withNoGrad {
            let x =
                Tensor(image.pixels, shape: [image.height, image.width, 3]).permuted([2, 0, 1])
                .to(dtype: .float32) / 255.0
            let size = resizedSize(image)
            guard size != (image.height, image.width) else { return x }
            return interpolate(x.unsqueezed(0), height: size.height, width: size.width, mode: .bicubic, antialias: true)
                .squeezed(0)
        }
    }

    /// `pixel_values` [B, 3, size, size] in float32.
    public func pixelValues(_ images: [RGBImage]) -> Tensor {
        withNoGrad { Tensor.stack(images.map { normalised(padded(resized($0))) }) }
    }

    /// The [3, h, w] image centred on a zero [3, size, size] square; the extra pixel
    /// of an odd margin goes after the image, as torchvision's pad.
    private func padded(_ image: Tensor) -> Tensor {
        let (height, width) = (image.size(1), image.size(2))
        guard height != size || width != size else { return image }
        let top = (size - height) / 2
        let left = (size - width) / 2
        let rows = Tensor.cat(
            [Tensor.zeros([3, top, width]), image, Tensor.zeros([3, size - height - top, width])], dim: 1)
        return Tensor.cat([Tensor.zeros([3, size, left]), rows, Tensor.zeros([3, size, size - width - left])], dim: 2)
    }

    /// (x − mean) / std per channel, in float32.
    private func normalised(_ image: Tensor) -> Tensor {
        let mean = Tensor(mean.map(Float.init), shape: [3, 1, 1])
        let std = Tensor(standardDeviation.map(Float.init), shape: [3, 1, 1])
        return (image - mean) / std
    }
}
