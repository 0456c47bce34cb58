import Files
import Foundation
import Torch

/// The activation between the two layers of CLIP's MLP.
public enum CLIPActivation: String, Codable, Sendable {
    /// x · sigmoid(1.702 x): OpenAI's CLIP, the text encoder of SD 1.x.
    case quickGELU = "quick_gelu"
    /// The exact (erf) GELU: OpenCLIP, the text encoder of SD 2.x.
    case gelu

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let activation = CLIPActivation(rawValue: name) else {
            // Anything else would still run, but give embeddings the UNet was not trained on.
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(name)' is not supported (quick_gelu for SD 1.x, gelu for SD 2.x)")
        }
        self = activation
    }
}

/// A CLIP text encoder's shape, read from a diffusers `text_encoder/config.json`
/// (transformers' CLIPTextConfig keys; unknown keys are ignored).
///
/// The keys that decide the architecture are required, so a truncated or foreign
/// file fails with the field's name instead of building a model of the wrong
/// shape; the others default as in transformers.
public struct CLIPTextConfiguration: Codable, Equatable, Sendable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var attentionHeadCount: Int
    /// The longest token sequence (77 in every Stable Diffusion text encoder).
    public var maxPositionEmbeddings: Int
    public var activation: CLIPActivation
    public var layerNormEpsilon: Double
    /// The size of CLIPTextModelWithProjection's output; unused by CLIPTextModel.
    public var projectionDimension: Int?
    /// The end-of-text token id (transformers pools at it; kept for callers). Old
    /// configs (SD 1.x) say 2, which transformers reads as "pool at the largest id".
    public var endTokenID: Int

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case attentionHeadCount = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings"
        case activation = "hidden_act"
        case layerNormEpsilon = "layer_norm_eps"
        case projectionDimension = "projection_dim"
        case endTokenID = "eos_token_id"
    }

    public init(
        vocabularySize: Int = 49408, hiddenSize: Int = 768, intermediateSize: Int = 3072,
        layerCount: Int = 12, attentionHeadCount: Int = 12, maxPositionEmbeddings: Int = 77,
        activation: CLIPActivation = .quickGELU, layerNormEpsilon: Double = 1e-5,
        projectionDimension: Int? = nil, endTokenID: Int = 49407
    ) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.attentionHeadCount = attentionHeadCount
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.activation = activation
        self.layerNormEpsilon = layerNormEpsilon
        self.projectionDimension = projectionDimension
        self.endTokenID = endTokenID
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try container.decode(Int.self, forKey: .vocabularySize)
        hiddenSize = try container.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try container.decode(Int.self, forKey: .intermediateSize)
        layerCount = try container.decode(Int.self, forKey: .layerCount)
        attentionHeadCount = try container.decode(Int.self, forKey: .attentionHeadCount)
        maxPositionEmbeddings = try container.decode(Int.self, forKey: .maxPositionEmbeddings)
        activation = try container.decode(CLIPActivation.self, forKey: .activation)
        layerNormEpsilon = try container.decodeIfPresent(Double.self, forKey: .layerNormEpsilon) ?? 1e-5
        projectionDimension = try container.decodeIfPresent(Int.self, forKey: .projectionDimension)
        // transformers also accepts a list of ids here; the first is the end token.
        if let ids = try? container.decodeIfPresent([Int].self, forKey: .endTokenID), let first = ids.first {
            endTokenID = first
        } else {
            endTokenID = try container.decodeIfPresent(Int.self, forKey: .endTokenID) ?? 49407
        }

        func check(_ condition: Bool, _ key: CodingKeys, _ message: String) throws {
            if !condition {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: message)
            }
        }
        for (value, key) in [
            (vocabularySize, CodingKeys.vocabularySize), (hiddenSize, .hiddenSize),
            (intermediateSize, .intermediateSize), (attentionHeadCount, .attentionHeadCount),
            (maxPositionEmbeddings, .maxPositionEmbeddings)
        ] {
            try check(value > 0, key, "must be positive, got \(value)")
        }
        try check(layerCount >= 0, .layerCount, "must not be negative, got \(layerCount)")
        // Upper bounds, checked before anything is allocated (ModelSizeLimits).
        typealias L = ModelSizeLimits
        for (value, key, maximum) in [
            (vocabularySize, CodingKeys.vocabularySize, L.maximumVocabulary), (hiddenSize, .hiddenSize, L.maximumWidth),
            (intermediateSize, .intermediateSize, 4 * L.maximumWidth), (layerCount, .layerCount, L.maximumLayers),
            (maxPositionEmbeddings, .maxPositionEmbeddings, L.maximumPositions)
        ] {
            try check(
                value <= maximum, key,
                "must be at most \(maximum), got \(value) (a text encoder of about "
                    + "\(L.describe(parameters: estimatedParameterCount)))")
        }
        try check(
            estimatedParameterCount <= L.maximumParameters, .hiddenSize,
            "vocab_size, hidden_size, intermediate_size and num_hidden_layers give a text encoder of about "
                + "\(L.describe(parameters: estimatedParameterCount)), above the limit of "
                + L.describe(parameters: L.maximumParameters))
        try check(
            layerNormEpsilon.isFinite, .layerNormEpsilon, "must be a finite number > 0, got \(layerNormEpsilon)")
        try check(
            hiddenSize % attentionHeadCount == 0, .attentionHeadCount,
            "hidden_size \(hiddenSize) does not split into \(attentionHeadCount) heads")
        try check(layerNormEpsilon > 0, .layerNormEpsilon, "must be positive, got \(layerNormEpsilon)")
    }

    /// The size of one attention head.
    public var headDimension: Int { hiddenSize / attentionHeadCount }

    /// Reads `config.json` (or another file) of a text encoder folder.
    public static func load(from url: URL) throws -> CLIPTextConfiguration {
        try ConfigurationFile.decode(CLIPTextConfiguration.self, from: url)
    }
}
