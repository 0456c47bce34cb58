import DiffusionModels
import Foundation
import ImageCodecs
import Torch

/// `features: clip`: CLIP's projected image embedding (CLIPVisionModelWithProjection),
/// with CLIPImageProcessor's preprocessing, as the aesthetic reward computes it.
///
/// `@unchecked Sendable` for the same reason as `AestheticReward`: the model is a
/// class only read under no-grad, and `usesLibtorch` keeps calls from overlapping.
public final class CLIPImageEmbedder: ImageEmbedder, @unchecked Sendable {
    public let vision: CLIPVisionModelWithProjection
    public let preprocessing: CLIPImagePreprocessing

    public init(vision: CLIPVisionModelWithProjection, preprocessing: CLIPImagePreprocessing) {
        vision.eval()
        self.vision = vision
        self.preprocessing = preprocessing
    }

    /// Loads the CLIP folder named by the option `key`; failures name the option and path.
    public convenience init(options: RewardOptions, key: String) throws {
        let path = try options.string(key)
        let url = URL(fileURLWithPath: path)
        do {
            let vision = try CLIPVisionModelWithProjection.load(directory: url)
            let preprocessing = try CLIPImagePreprocessing.load(
                directory: url,
                defaultSize: vision.configuration.imageSize)
            self.init(vision: vision, preprocessing: preprocessing)
        } catch {
            throw options.invalid(
                key, path,
                expected: "a CLIPVisionModelWithProjection folder with config.json "
                    + "and model.safetensors (\(error))")
        }
    }

    public var usesLibtorch: Bool { true }

    public func embeddings(_ images: [RGBImage]) -> [[Double]] {
        guard !images.isEmpty else { return [] }
        return withNoGrad {
            let embeddings = vision(preprocessing.pixelValues(images)).to(dtype: .float64)
            return (0..<embeddings.size(0)).map { embeddings[$0].toArray(Double.self) }
        }
    }
}
