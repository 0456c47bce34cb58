import Files
import Foundation
import ImageCodecs
import Torch

/// CLIPImageProcessor's steps for 8-bit RGB images: resize the shortest side to
/// `shortestEdge` with PIL's bicubic filter, centre-crop, rescale by 1/255 and
/// normalise with CLIP's mean and standard deviation, giving the model's
/// `pixel_values`.
///
/// Read from a `preprocessor_config.json` (transformers' keys) when the CLIP folder
/// has one; settings this code does not implement (another resampling filter, a
/// step switched off) are errors naming the field rather than silently different
/// inputs.
public struct CLIPImagePreprocessing: Equatable, Sendable {
    public var shortestEdge: Int
    public var cropHeight: Int
    public var cropWidth: Int
    public var rescaleFactor: Double
    public var mean: [Double]
    public var standardDeviation: [Double]

    /// OpenAI CLIP's normalisation constants (transformers' OPENAI_CLIP_MEAN / STD).
    public static let clipMean = [0.48145466, 0.4578275, 0.40821073]
    public static let clipStandardDeviation = [0.26862954, 0.26130258, 0.27577711]

    /// CLIPImageProcessor's defaults, at `size` (224 for every published CLIP ViT).
    public init(size: Int = 224) {
        self.init(shortestEdge: size, cropHeight: size, cropWidth: size)
    }

    public init(
        shortestEdge: Int, cropHeight: Int, cropWidth: Int, rescaleFactor: Double = 1.0 / 255,
        mean: [Double] = clipMean, standardDeviation: [Double] = clipStandardDeviation
    ) {
        self.shortestEdge = shortestEdge
        self.cropHeight = cropHeight
        self.cropWidth = cropWidth
        self.rescaleFactor = rescaleFactor
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// The settings of `<directory>/preprocessor_config.json`, or the defaults at
    /// `defaultSize` when the folder has none.
    public static func load(directory: URL, defaultSize: Int) throws -> CLIPImagePreprocessing {
        let url = directory.appendingPathComponent("preprocessor_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return CLIPImagePreprocessing(size: defaultSize) }
        return try ConfigurationFile.decode(PreprocessorConfigFile.self, from: url).preprocessing
    }

    /// `pixel_values` [B, 3, cropHeight, cropWidth] in float32 for a batch of images.
    public func pixelValues(_ images: [RGBImage]) -> Tensor {
        withNoGrad {
            Tensor.stack(images.map { normalised(cropped(PILBicubicResize.resize($0, to: resizedSize($0)))) })
        }
    }

    /// (height, width) after resizing: the shortest side becomes `shortestEdge`, the
    /// other keeps the aspect ratio, truncated as transformers'
    /// get_resize_output_image_size does (`int(size * long / short)`).
    public func resizedSize(_ image: RGBImage) -> (height: Int, width: Int) {
        let (short, long) = (min(image.width, image.height), max(image.width, image.height))
        let newLong = Int(Double(shortestEdge * long) / Double(short))
        return image.width <= image.height ? (newLong, shortestEdge) : (shortestEdge, newLong)
    }

    /// PIL's bicubic resize of `image` as [3, height, width] uint8 (see `PILBicubicResize`).
    public static func pilBicubicResize(_ image: RGBImage, to size: (height: Int, width: Int)) -> Tensor {
        withNoGrad { PILBicubicResize.resize(image, to: size) }
    }

    /// The centre crop of a [3, H, W] uint8 tensor; transformers rounds the offsets down.
    private func cropped(_ image: Tensor) -> Tensor {
        let top = (image.size(1) - cropHeight) / 2
        let left = (image.size(2) - cropWidth) / 2
        return image.slice(dim: 1, top..<(top + cropHeight)).slice(dim: 2, left..<(left + cropWidth))
    }

    /// (x · rescaleFactor − mean) / std per channel, in float32 as transformers computes it.
    private func normalised(_ image: Tensor) -> Tensor {
        let scaled = (image.to(dtype: .float64) * rescaleFactor).to(dtype: .float32)
        let mean = Tensor(mean.map(Float.init), shape: [3, 1, 1])
        let std = Tensor(standardDeviation.map(Float.init), shape: [3, 1, 1])
        return (scaled - mean) / std
    }
}
