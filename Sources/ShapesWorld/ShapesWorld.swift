import Torch

/// The tiny synthetic world the bundled model learns: one to three shapes of one
/// kind and colour on a plain background, with a caption that says exactly that.
/// Every scene is a pure function of (seed, index). The compositional world
/// (ShapesWorld+Relations.swift) adds four shapes and two-object relations.
public enum ShapesWorld {
    /// Four of the 24 shape-colour pairs, one per kind and colour all different,
    /// kept out of pretraining so DDPO's generalisation to them can be measured.
    public static let heldOutPairs: Set<ShapeColorPair> = [
        ShapeColorPair(.circle, .orange),
        ShapeColorPair(.square, .purple),
        ShapeColorPair(.triangle, .green),
        ShapeColorPair(.star, .blue)
    ]

    /// The radius range (pixels of 64) for a scene of `count` shapes: more shapes
    /// are smaller so they fit without touching.
    static func radiusRange(count: Int) -> ClosedRange<Double> {
        switch count {
        case 1: return 10...22
        case 2: return 8...15
        case 3: return 7...12
        // Four shapes of up to 12 px would often leave no room for the fourth and
        // fall back to shrinking; a smaller range keeps them apart at the first tries.
        default: return 6...10
        }
    }

    /// Scene `index` of `seed`. With `excludingHeldOut`, the colour is drawn among
    /// those not held out for the kind (a different scene, equally deterministic).
    public static func scene(seed: UInt64, index: Int, excludingHeldOut: Bool = false) -> ShapesScene {
        var random = SplitMix64(seed: seed, index: index)
        let kind = ShapeKind.allCases[random.below(ShapeKind.allCases.count)]
        let colors = ShapeColor.allCases.filter {
            !excludingHeldOut || !heldOutPairs.contains(ShapeColorPair(kind, $0))
        }
        let color = colors[random.below(colors.count)]
        let count = 1 + random.below(3)
        let background = BackgroundColor.allCases[random.below(BackgroundColor.allCases.count)]
        let shapes = place(count: count, using: &random)
        return ShapesScene(kind: kind, color: color, background: background, shapes: shapes)
    }

    /// Rejection sampling of non-touching enclosing circles, 1 px inside the frame.
    /// The radius range is roomy enough that a few tries suffice; after many
    /// failures the radius shrinks, so this always ends.
    static func place(count: Int, using random: inout SplitMix64) -> [ShapesScene.PlacedShape] {
        let range = radiusRange(count: count)
        var shapes: [ShapesScene.PlacedShape] = []
        var failures = 0
        while shapes.count < count {
            let shrink = Double(failures / 50)
            let radius = max(4, random.uniform(range.lowerBound, range.upperBound) - shrink)
            let x = random.uniform(radius + 1, 63 - radius)
            let y = random.uniform(radius + 1, 63 - radius)
            let fits = shapes.allSatisfy { other in
                let dx = other.centerX - x
                let dy = other.centerY - y
                let gap = other.radius + radius + 2
                return dx * dx + dy * dy >= gap * gap
            }
            if fits {
                shapes.append(.init(centerX: x, centerY: y, radius: radius))
            } else {
                failures += 1
            }
        }
        return shapes
    }

    /// Scenes first..<first+count of `seed`, rendered at 64×64: images [B, 3, 64, 64]
    /// float32 in [0, 1], their captions and the scenes.
    public static func batch(seed: UInt64, first: Int, count: Int, excludingHeldOut: Bool = false)
        -> (images: Tensor, captions: [String], scenes: [ShapesScene])
    {
        let scenes = (first..<first + count).map { scene(seed: seed, index: $0, excludingHeldOut: excludingHeldOut) }
        return (images(of: scenes), scenes.map(\.caption), scenes)
    }

    /// [B, 3, size, size] float32 in [0, 1], rendered into one byte buffer and
    /// converted by libtorch in one go.
    public static func images(of scenes: [ShapesScene], size: Int = 64) -> Tensor {
        let imageBytes = size * size * 3
        var pixels = [UInt8](repeating: 0, count: scenes.count * imageBytes)
        pixels.withUnsafeMutableBufferPointer { buffer in
            for (i, scene) in scenes.enumerated() {
                let slice = UnsafeMutableBufferPointer(rebasing: buffer[i * imageBytes..<(i + 1) * imageBytes])
                ShapeRasterizer.draw(scene, size: size, into: slice)
            }
        }
        let bytes = Tensor(pixels, shape: [scenes.count, size, size, 3])
        return (bytes.permuted([0, 3, 1, 2]).to(dtype: .float32) / 255.0).contiguous()
    }
}
