import Foundation
import ImageCodecs
import Rewards
import Torch

extension ShapesRecogniser {
    /// [B, 3, S, S] in [0, 1]; images of another size are resized (bilinear,
    /// antialiased) to the recogniser's size.
    public func inputs(_ images: [RGBImage]) -> Tensor {
        let size = configuration.imageSize
        return withNoGrad {
            Tensor.stack(
                images.map { image in
                    let tensor = image.tensor()
                    guard image.width != size || image.height != size else { return tensor }
                    return interpolate(
                        tensor.unsqueezed(0), height: size, width: size, mode: .bilinear,
                        antialias: true
                    ).squeezed(0)
                })
        }
    }

    /// Loads the recogniser folder of option `key` (or `defaultPath` when the option is
    /// absent and a default is known); a failure names the option and the path.
    static func load(options: RewardOptions, key: String, defaultPath: String?) throws -> ShapesRecogniser {
        let path = try defaultPath.map { options.string(key, default: $0) } ?? options.string(key)
        do {
            return try ShapesRecogniser.load(from: URL(fileURLWithPath: path))
        } catch {
            throw options.invalid(key, path, expected: "a recogniser folder (\(error))")
        }
    }
}

/// `diversity` with `features: recogniser`: the recogniser's hidden layer
/// (`ShapesRecogniser.features`), which encodes shape, colour, count and background
/// and little else, so diversity there is diversity of scene content.
///
/// `@unchecked Sendable` as `ShapesAlignmentReward`: the recogniser is only read
/// under no-grad, and `usesLibtorch` keeps calls from overlapping sampling.
public final class RecogniserEmbedder: ImageEmbedder, @unchecked Sendable {
    public let recogniser: ShapesRecogniser

    public init(recogniser: ShapesRecogniser) {
        recogniser.eval()
        self.recogniser = recogniser
    }

    public var usesLibtorch: Bool { true }

    public func embeddings(_ images: [RGBImage]) -> [[Double]] {
        guard !images.isEmpty else { return [] }
        return withNoGrad {
            let features = recogniser.features(recogniser.inputs(images)).to(dtype: .float64)
            return (0..<features.size(0)).map { features[$0].toArray(Double.self) }
        }
    }

    /// The `diversity` features entry: reads `model` as the recogniser folder, which
    /// defaults to `defaultRecogniser` (the catalogue passes `<model>/recogniser`).
    public static func factory(defaultRecogniser: String? = nil) -> ImageEmbedderFactory {
        { options in
            RecogniserEmbedder(
                recogniser: try ShapesRecogniser.load(
                    options: options, key: DiversityReward.modelOption, defaultPath: defaultRecogniser))
        }
    }
}
