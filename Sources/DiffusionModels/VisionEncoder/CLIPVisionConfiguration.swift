import Files
import Foundation
import Torch

/// A CLIP vision tower's shape with its projection, read from the `config.json` of
/// a CLIPVisionModelWithProjection folder (transformers' CLIPVisionConfig keys) or
/// of a full CLIPModel folder (its `vision_config` and top-level `projection_dim`).
/// Unknown keys are ignored.
///
/// The keys that decide the architecture are required, so a truncated or foreign
/// file fails with the field's name instead of building a model of the wrong shape.
public struct CLIPVisionConfiguration: Codable, Equatable, Sendable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var attentionHeadCount: Int
    /// The side of the square input image, in pixels (224 for ViT-L/14).
    public var imageSize: Int
    /// The side of one square patch, in pixels (14 for ViT-L/14).
    public var patchSize: Int
    public var channelCount: Int
    public var activation: CLIPActivation
    public var layerNormEpsilon: Double
    /// The size of the image embedding (`visual_projection` output; 768 for ViT-L/14).
    public var projectionDimension: Int

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case attentionHeadCount = "num_attention_heads"
        case imageSize = "image_size"
        case patchSize = "patch_size"
        case channelCount = "num_channels"
        case activation = "hidden_act"
        case layerNormEpsilon = "layer_norm_eps"
        case projectionDimension = "projection_dim"
    }

    /// ViT-L/14's sizes by default.
    public init(
        hiddenSize: Int = 1024, intermediateSize: Int = 4096, layerCount: Int = 24,
        attentionHeadCount: Int = 16, imageSize: Int = 224, patchSize: Int = 14, channelCount: Int = 3,
        activation: CLIPActivation = .quickGELU, layerNormEpsilon: Double = 1e-5,
        projectionDimension: Int = 768
    ) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.attentionHeadCount = attentionHeadCount
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.channelCount = channelCount
        self.activation = activation
        self.layerNormEpsilon = layerNormEpsilon
        self.projectionDimension = projectionDimension
    }

    public init(from decoder: Decoder) throws {
        try self.init(from: decoder, projectionDimension: nil)
    }

    /// Decodes the fields; `projectionDimension`, when given, replaces the file's
    /// `projection_dim` (which may then be absent).
    init(from decoder: Decoder, projectionDimension override: Int?) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try container.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try container.decode(Int.self, forKey: .intermediateSize)
        layerCount = try container.decode(Int.self, forKey: .layerCount)
        attentionHeadCount = try container.decode(Int.self, forKey: .attentionHeadCount)
        imageSize = try container.decode(Int.self, forKey: .imageSize)
        patchSize = try container.decode(Int.self, forKey: .patchSize)
        channelCount = try container.decodeIfPresent(Int.self, forKey: .channelCount) ?? 3
        activation = try container.decode(CLIPActivation.self, forKey: .activation)
        layerNormEpsilon = try container.decodeIfPresent(Double.self, forKey: .layerNormEpsilon) ?? 1e-5
        if let override {
            projectionDimension = override
        } else {
            projectionDimension = try container.decode(Int.self, forKey: .projectionDimension)
        }

        func check(_ condition: Bool, _ key: CodingKeys, _ message: String) throws {
            if !condition {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: message)
            }
        }
        for (value, key) in [
            (hiddenSize, CodingKeys.hiddenSize), (intermediateSize, .intermediateSize),
            (attentionHeadCount, .attentionHeadCount), (imageSize, .imageSize),
            (patchSize, .patchSize), (channelCount, .channelCount),
            (projectionDimension, .projectionDimension)
        ] {
            try check(value > 0, key, "must be positive, got \(value)")
        }
        try check(layerCount >= 0, .layerCount, "must not be negative, got \(layerCount)")
        // Upper bounds before anything is allocated (ModelSizeLimits); the aesthetic
        // reward's ViT-L/14 has width 1024, 24 layers and 224-pixel images.
        typealias L = ModelSizeLimits
        for (value, key) in [
            (hiddenSize, CodingKeys.hiddenSize), (intermediateSize, .intermediateSize),
            (projectionDimension, .projectionDimension), (attentionHeadCount, .attentionHeadCount)
        ] {
            try check(value <= L.maximumWidth, key, "must be at most \(L.maximumWidth), got \(value)")
        }
        try check(layerCount <= L.maximumLayers, .layerCount, "must be at most \(L.maximumLayers), got \(layerCount)")
        try check(
            channelCount <= L.maximumChannels, .channelCount,
            "must be at most \(L.maximumChannels), got \(channelCount)")
        try check(imageSize <= 4_096, .imageSize, "must be at most 4096 pixels, got \(imageSize)")
        try check(
            (imageSize / max(patchSize, 1)) <= 1_024, .patchSize,
            "image_size \(imageSize) / patch_size \(patchSize) gives more than 1024 patches per side")
        let width = Double(hiddenSize)
        let parameters =
            Double(layerCount) * (4 * L.linear(width, width) + 2 * L.linear(width, Double(intermediateSize)))
            + Double(channelCount * patchSize * patchSize) * width
        try check(
            parameters <= L.maximumParameters, .layerCount,
            "a vision tower of about \(L.describe(parameters: parameters)) is above the limit of "
                + "\(L.describe(parameters: L.maximumParameters))")
        try check(
            hiddenSize % attentionHeadCount == 0, .attentionHeadCount,
            "hidden_size \(hiddenSize) does not split into \(attentionHeadCount) heads")
        try check(
            imageSize % patchSize == 0, .patchSize,
            "image_size \(imageSize) is not a whole number of \(patchSize)-pixel patches")
        try check(layerNormEpsilon > 0, .layerNormEpsilon, "must be positive, got \(layerNormEpsilon)")
    }

    /// Patches along one side of the image.
    public var patchesPerSide: Int { imageSize / patchSize }

    /// Positions the transformer sees: one per patch plus the class token.
    public var positionCount: Int { patchesPerSide * patchesPerSide + 1 }

    /// The shape of the vision tower's layers (attention is not causal).
    public var encoderShape: CLIPEncoderShape {
        CLIPEncoderShape(
            hiddenSize: hiddenSize, intermediateSize: intermediateSize,
            attentionHeadCount: attentionHeadCount, activation: activation,
            layerNormEpsilon: layerNormEpsilon, isCausal: false)
    }

    /// Reads the `config.json` of a CLIPVisionModelWithProjection folder or of a
    /// full CLIPModel folder, where the vision fields sit under `vision_config` and
    /// the projection size at the top (as `CLIPModel` reads them).
    public static func load(from url: URL) throws -> CLIPVisionConfiguration {
        let file = try ConfigurationFile.decode(FileLayout.self, from: url)
        return file.configuration
    }

    /// Either layout of config.json; decoding errors keep the field path
    /// (`vision_config.hidden_size`), so messages name the field as written.
    private struct FileLayout: Decodable {
        var configuration: CLIPVisionConfiguration

        enum CodingKeys: String, CodingKey {
            case visionConfig = "vision_config"
            case projectionDimension = "projection_dim"
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            guard container.contains(.visionConfig) else {
                configuration = try CLIPVisionConfiguration(from: decoder)
                return
            }
            // CLIPModel sizes visual_projection with its top-level projection_dim;
            // the copy inside vision_config may be a stale default, so the top wins.
            let topLevel = try container.decodeIfPresent(Int.self, forKey: .projectionDimension)
            configuration = try CLIPVisionConfiguration(
                from: container.superDecoder(forKey: .visionConfig), projectionDimension: topLevel)
        }
    }
}
