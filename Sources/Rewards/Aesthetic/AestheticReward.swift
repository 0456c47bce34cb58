import DiffusionModels
import Foundation
import ImageCodecs
import Torch

/// `aesthetic`: the LAION aesthetic predictor's score of each image (docs/algorithm.md
/// §11): CLIPImageProcessor's preprocessing, the CLIP ViT-L/14 image embedding
/// (CLIPVisionModelWithProjection), L2-normalised, into the 768-1024-128-64-16-1
/// head. Prompts are not used. See docs/aesthetic-reward.md for obtaining the weights.
///
/// The class is `@unchecked Sendable` because the models are classes: scoring only
/// reads their parameters under no-grad, and `usesLibtorch` tells the trainer to
/// await each batch before sampling, so calls do not overlap.
public final class AestheticReward: Reward, @unchecked Sendable {
    public static let registryName = "aesthetic"
    /// The CLIP folder (config.json + model.safetensors, optionally preprocessor_config.json).
    public static let clipOption = "clip"
    /// The head's safetensors file.
    public static let mlpOption = "mlp"
    public static let optionNames = [clipOption, mlpOption]

    public let vision: CLIPVisionModelWithProjection
    public let predictor: AestheticPredictor
    public let preprocessing: CLIPImagePreprocessing

    public init(
        vision: CLIPVisionModelWithProjection, predictor: AestheticPredictor,
        preprocessing: CLIPImagePreprocessing
    ) {
        precondition(
            vision.configuration.projectionDimension == predictor.inputSize,
            "AestheticReward: CLIP embeddings of \(vision.configuration.projectionDimension) values "
                + "for a head that takes \(predictor.inputSize)")
        vision.eval()
        predictor.eval()
        self.vision = vision
        self.predictor = predictor
        self.preprocessing = preprocessing
    }

    /// Reads the two options; every failure names the option and the file.
    public convenience init(options: RewardOptions) throws {
        let clipPath = try options.string(Self.clipOption)
        let mlpPath = try options.string(Self.mlpOption)
        let clipURL = URL(fileURLWithPath: clipPath)
        let vision: CLIPVisionModelWithProjection
        let preprocessing: CLIPImagePreprocessing
        do {
            vision = try CLIPVisionModelWithProjection.load(directory: clipURL)
            preprocessing = try CLIPImagePreprocessing.load(
                directory: clipURL,
                defaultSize: vision.configuration.imageSize)
        } catch {
            throw options.invalid(
                Self.clipOption, clipPath,
                expected: "a CLIP folder with config.json and model.safetensors (\(error))")
        }
        let crop = (preprocessing.cropHeight, preprocessing.cropWidth)
        guard crop == (vision.configuration.imageSize, vision.configuration.imageSize) else {
            throw options.invalid(
                Self.clipOption, clipPath,
                expected: "a preprocessor_config.json whose crop_size "
                    + "(\(crop.0)x\(crop.1)) is the model's image_size (\(vision.configuration.imageSize))")
        }
        guard vision.configuration.projectionDimension == AestheticPredictor.widths[0] else {
            throw options.invalid(
                Self.clipOption, clipPath,
                expected: "a CLIP model with 768-value image "
                    + "embeddings, as ViT-L/14 (its projection_dim is \(vision.configuration.projectionDimension))")
        }
        let predictor: AestheticPredictor
        do {
            predictor = try AestheticPredictor.load(from: URL(fileURLWithPath: mlpPath))
        } catch {
            throw options.invalid(
                Self.mlpOption, mlpPath,
                expected: "the aesthetic head as safetensors "
                    + "(convert the published .pth with scripts/convert_aesthetic_mlp.py) (\(error))")
        }
        self.init(vision: vision, predictor: predictor, preprocessing: preprocessing)
    }

    public var name: String { Self.registryName }
    /// The LAION predictor was trained on ratings from 1 to 10 (its outputs can leave that range).
    public var unit: String { "score (1–10)" }
    public var axisLabel: String { "reward (aesthetic score, 1–10)" }
    public var usesLibtorch: Bool { true }

    public func score(_ input: RewardInput) async throws -> RewardBatch {
        RewardBatch(rewards: scores(input.images))
    }

    /// The scores, synchronously, on the calling thread.
    public func scores(_ images: [RGBImage]) -> [Double] {
        guard !images.isEmpty else { return [] }
        return withNoGrad {
            predictor(imageEmbeddings(images)).to(dtype: .float64).toArray(Double.self)
        }
    }

    /// CLIP's image embeddings [B, 768] (not normalised) of the images.
    public func imageEmbeddings(_ images: [RGBImage]) -> Tensor {
        withNoGrad { vision(preprocessing.pixelValues(images)) }
    }
}
