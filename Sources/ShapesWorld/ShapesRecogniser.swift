import Foundation
import Torch
import TorchNN

/// A small CNN that reads a scene back: shape, colour, count and background, each
/// as its own classification head. It is the judge behind the `shapes_alignment`
/// reward, so it is trained on the world's own renderings only.
///
/// Layout: five 3×3 convolutions (the last four with stride 2, 64 → 4 px), each
/// followed by GroupNorm and ReLU, then a hidden layer over the flattened 4×4 map
/// (flattened rather than averaged so position survives: counting needs it) and
/// four linear heads. About 200k parameters with the default configuration.
///
/// With `relations` it also judges the compositional world: the count head has
/// four classes, and three more heads read the same hidden layer: the second
/// object's kind and colour and the axis of a two-object relation. The objects are
/// reported in reading order (shape and colour: the left or upper object; second:
/// the right or lower one), so "A left of B" and "B right of A" are one answer and
/// the axis head only tells horizontal from vertical. For a one-kind scene the
/// second object is that kind again.
public final class ShapesRecogniser: Module {
    /// Saved next to the weights as config.json.
    public struct Configuration: Codable, Equatable, Sendable {
        public var channels: [Int]
        public var hidden: Int
        public var imageSize: Int
        /// Whether it judges the compositional world (see the type's comment).
        public var relations: Bool

        public init(
            channels: [Int] = [32, 32, 64, 64, 64], hidden: Int = 96, imageSize: Int = 64, relations: Bool = false
        ) {
            self.channels = channels
            self.hidden = hidden
            self.imageSize = imageSize
            self.relations = relations
        }

        enum CodingKeys: String, CodingKey {
            case channels
            case hidden
            case imageSize = "image_size"
            case relations
        }

        // "relations" is written only when true and read as false when absent, so
        // the bundled recogniser's config.json stays as it is and still loads.
        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            channels = try container.decode([Int].self, forKey: .channels)
            hidden = try container.decode(Int.self, forKey: .hidden)
            imageSize = try container.decode(Int.self, forKey: .imageSize)
            relations = try container.decodeIfPresent(Bool.self, forKey: .relations) ?? false
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(channels, forKey: .channels)
            try container.encode(hidden, forKey: .hidden)
            try container.encode(imageSize, forKey: .imageSize)
            if relations { try container.encode(true, forKey: .relations) }
        }

        /// Counts 1...3, or 1...4 for the compositional world.
        public var countClasses: Int { relations ? 4 : 3 }

        /// Side of the last feature map: the first convolution keeps the size, the others halve it.
        var finalSize: Int { imageSize >> (channels.count - 1) }
    }

    /// Logits of the four heads, each [B, classes], and of the relation heads (nil
    /// without `relations`).
    public struct Logits {
        public var shape: Tensor
        public var colour: Tensor
        public var count: Tensor
        public var background: Tensor
        public var secondShape: Tensor?
        public var secondColour: Tensor?
        public var axis: Tensor?
    }

    public let configuration: Configuration
    @Child public var convs: [Conv2d]
    @Child public var norms: [GroupNorm]
    @Child public var hidden: Linear
    @Child(key: "shape_head") public var shapeHead: Linear
    @Child(key: "colour_head") public var colourHead: Linear
    @Child(key: "count_head") public var countHead: Linear
    @Child(key: "background_head") public var backgroundHead: Linear
    @Child(key: "second_shape_head") public var secondShapeHead: Linear?
    @Child(key: "second_colour_head") public var secondColourHead: Linear?
    @Child(key: "axis_head") public var axisHead: Linear?

    public init(configuration: Configuration = Configuration(), generator: Generator? = nil) {
        precondition(
            !configuration.channels.isEmpty && configuration.finalSize > 0,
            "ShapesRecogniser: \(configuration.channels.count) convolutions do not fit \(configuration.imageSize) px")
        self.configuration = configuration
        super.init()
        var inputs = 3
        var convs: [Conv2d] = []
        var norms: [GroupNorm] = []
        for (i, outputs) in configuration.channels.enumerated() {
            convs.append(
                Conv2d(inputs, outputs, kernelSize: 3, stride: i == 0 ? 1 : 2, padding: 1, generator: generator))
            norms.append(GroupNorm(groupCount: 8, channelCount: outputs))
            inputs = outputs
        }
        self.convs = convs
        self.norms = norms
        let flat = inputs * configuration.finalSize * configuration.finalSize
        hidden = Linear(flat, configuration.hidden, generator: generator)
        shapeHead = Linear(configuration.hidden, ShapeKind.allCases.count, generator: generator)
        colourHead = Linear(configuration.hidden, ShapeColor.allCases.count, generator: generator)
        countHead = Linear(configuration.hidden, configuration.countClasses, generator: generator)
        backgroundHead = Linear(configuration.hidden, BackgroundColor.allCases.count, generator: generator)
        // Created last, so an original recogniser draws exactly the initial values it always did.
        if configuration.relations {
            secondShapeHead = Linear(configuration.hidden, ShapeKind.allCases.count, generator: generator)
            secondColourHead = Linear(configuration.hidden, ShapeColor.allCases.count, generator: generator)
            axisHead = Linear(configuration.hidden, SpatialRelation.Axis.allCases.count, generator: generator)
        }
    }

    /// `images` [B, 3, S, S] in [0, 1] with S = imageSize.
    public func callAsFunction(_ images: Tensor) -> Logits {
        let features = features(images)
        return Logits(
            shape: shapeHead(features), colour: colourHead(features),
            count: countHead(features), background: backgroundHead(features),
            secondShape: secondShapeHead.map { $0(features) }, secondColour: secondColourHead.map { $0(features) },
            axis: axisHead.map { $0(features) })
    }

    /// The hidden layer [B, hidden] that all four heads read (after its ReLU): what the
    /// recogniser knows about each image, used as `diversity`'s `recogniser` features.
    public func features(_ images: Tensor) -> Tensor {
        let size = configuration.imageSize
        precondition(
            images.rank == 4 && Array(images.shape.dropFirst()) == [3, size, size],
            "ShapesRecogniser: expected images [B, 3, \(size), \(size)], got \(images.shape)")
        // Centre the inputs: [0, 1] → [-1, 1].
        var x = images * 2.0 - 1.0
        for (conv, norm) in zip(convs, norms) {
            x = norm(conv(x)).relu()
        }
        return hidden(x.reshaped([x.size(0), -1])).relu()
    }

    /// Class indices of the scenes' true answers, one [B] int64 tensor per head.
    static func labels(_ descriptions: [ShapesScene.Description]) -> (Tensor, Tensor, Tensor, Tensor) {
        func column(_ index: (ShapesScene.Description) -> Int) -> Tensor {
            Tensor(descriptions.map { Int64(index($0)) })
        }
        return (
            column { ShapeKind.allCases.firstIndex(of: $0.kind)! },
            column { ShapeColor.allCases.firstIndex(of: $0.color)! },
            column { $0.count - 1 },
            column { BackgroundColor.allCases.firstIndex(of: $0.background)! }
        )
    }
}

/// Cross-entropy of [B, C] logits against [B] int64 class indices, averaged over B.
func crossEntropy(_ logits: Tensor, _ labels: Tensor) -> Tensor {
    -logits.logSoftmax(dim: 1).gather(dim: 1, index: labels.unsqueezed(1)).mean()
}
