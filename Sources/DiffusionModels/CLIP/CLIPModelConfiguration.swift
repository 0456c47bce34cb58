import Files
import Foundation

/// The shape of a whole CLIP (transformers' CLIPModel): its text and vision
/// towers and the size of the shared embedding space, read from the
/// `config.json` of a CLIPModel folder (`text_config`, `vision_config`,
/// `projection_dim`). Errors name the field as written (`text_config.hidden_size`).
public struct CLIPModelConfiguration: Equatable, Sendable {
    public var text: CLIPTextConfiguration
    /// The vision tower; its `projectionDimension` is the shared one.
    public var vision: CLIPVisionConfiguration
    /// The size of both projected embeddings.
    public var projectionDimension: Int { vision.projectionDimension }

    public init(text: CLIPTextConfiguration, vision: CLIPVisionConfiguration) {
        self.text = text
        self.vision = vision
    }

    public static func load(from url: URL) throws -> CLIPModelConfiguration {
        try ConfigurationFile.decode(FileLayout.self, from: url).configuration
    }

    private struct FileLayout: Decodable {
        var configuration: CLIPModelConfiguration

        enum CodingKeys: String, CodingKey {
            case textConfig = "text_config"
            case visionConfig = "vision_config"
            case projectionDimension = "projection_dim"
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            // transformers' CLIPConfig default; both projections take this size.
            let projection = try container.decodeIfPresent(Int.self, forKey: .projectionDimension) ?? 512
            guard projection > 0, projection <= ModelSizeLimits.maximumWidth else {
                throw DecodingError.dataCorruptedError(
                    forKey: .projectionDimension, in: container,
                    debugDescription: "must be between 1 and \(ModelSizeLimits.maximumWidth), got \(projection)")
            }
            let text = try CLIPTextConfiguration(from: container.superDecoder(forKey: .textConfig))
            let vision = try CLIPVisionConfiguration(
                from: container.superDecoder(forKey: .visionConfig), projectionDimension: projection)
            configuration = CLIPModelConfiguration(text: text, vision: vision)
        }
    }
}
