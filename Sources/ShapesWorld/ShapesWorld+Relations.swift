import Torch

/// The compositional world: the original scenes with counts up to four, mixed
/// half and half with two-object relation scenes. A model pretrained on it must
/// bind each colour to its kind and place the two objects in order, which a
/// small model does much less reliably than drawing one kind in one colour.
extension ShapesWorld {
    /// Ten unordered object pairs never shown together in pretraining (in either
    /// order, any relation, any background): a perfect matching of the 20 objects
    /// that are not held out on their own, so every object and every relation is
    /// still trained, only these partners are new. Two share a colour, one a kind.
    public static let heldOutObjectPairs: [(ShapeColorPair, ShapeColorPair)] = [
        (ShapeColorPair(.circle, .red), ShapeColorPair(.square, .green)),
        (ShapeColorPair(.circle, .green), ShapeColorPair(.triangle, .blue)),
        (ShapeColorPair(.circle, .blue), ShapeColorPair(.star, .yellow)),
        (ShapeColorPair(.circle, .yellow), ShapeColorPair(.circle, .purple)),
        (ShapeColorPair(.square, .red), ShapeColorPair(.triangle, .red)),
        (ShapeColorPair(.square, .blue), ShapeColorPair(.star, .orange)),
        (ShapeColorPair(.square, .yellow), ShapeColorPair(.star, .purple)),
        (ShapeColorPair(.square, .orange), ShapeColorPair(.triangle, .orange)),
        (ShapeColorPair(.triangle, .yellow), ShapeColorPair(.star, .green)),
        (ShapeColorPair(.triangle, .purple), ShapeColorPair(.star, .red))
    ]

    /// Whether `a` and `b` form a held-out object pair, in either order.
    public static func isHeldOutObjectPair(_ a: ShapeColorPair, _ b: ShapeColorPair) -> Bool {
        heldOutObjectPairs.contains { ($0.0 == a && $0.1 == b) || ($0.0 == b && $0.1 == a) }
    }

    /// The 24 shape-colour pairs in a fixed order (kind, then colour); with
    /// `excludingHeldOut`, the 20 that are not in `heldOutPairs`, so a model
    /// pretrained on relations never sees the original held-out pairs either.
    public static func objects(excludingHeldOut: Bool = false) -> [ShapeColorPair] {
        ShapeKind.allCases.flatMap { kind in
            ShapeColor.allCases.map { ShapeColorPair(kind, $0) }
        }.filter { !excludingHeldOut || !heldOutPairs.contains($0) }
    }

    /// Scene `index` of `seed` in the compositional world: half original scenes
    /// with one to four shapes, half relation scenes. With `excludingHeldOut`,
    /// neither the held-out shape-colour pairs nor the held-out object pairs occur.
    public static func compositionalScene(seed: UInt64, index: Int, excludingHeldOut: Bool = false) -> WorldScene {
        var random = SplitMix64(seed: seed, index: index)
        let background = BackgroundColor.allCases[random.below(BackgroundColor.allCases.count)]
        let candidates = objects(excludingHeldOut: excludingHeldOut)
        if random.below(2) == 0 {
            let pair = candidates[random.below(candidates.count)]
            let shapes = place(count: 1 + random.below(4), using: &random)
            return .shapes(ShapesScene(kind: pair.kind, color: pair.color, background: background, shapes: shapes))
        }
        let subject = candidates[random.below(candidates.count)]
        var object = subject
        // Redraw until the pair is allowed; at least 18 of the 19 other objects are.
        while object == subject || (excludingHeldOut && isHeldOutObjectPair(subject, object)) {
            object = candidates[random.below(candidates.count)]
        }
        let relation = SpatialRelation.allCases[random.below(SpatialRelation.allCases.count)]
        let (subjectShape, objectShape) = placePair(relation: relation, using: &random)
        return .relation(
            RelationScene(
                subject: subject, relation: relation, object: object, background: background,
                subjectShape: subjectShape, objectShape: objectShape))
    }

    /// Rejection sampling of two non-touching enclosing circles (sized as in a
    /// two-shape scene) until `relation` holds clearly. About one try in ten
    /// succeeds; after many failures the radii shrink, which leaves more room.
    static func placePair(relation: SpatialRelation, using random: inout SplitMix64)
        -> (ShapesScene.PlacedShape, ShapesScene.PlacedShape)
    {
        let range = radiusRange(count: 2)
        var failures = 0
        while true {
            let shrink = Double(failures / 50)
            var circles: [ShapesScene.PlacedShape] = []
            for _ in 0..<2 {
                let radius = max(4, random.uniform(range.lowerBound, range.upperBound) - shrink)
                let x = random.uniform(radius + 1, 63 - radius)
                let y = random.uniform(radius + 1, 63 - radius)
                circles.append(.init(centerX: x, centerY: y, radius: radius))
            }
            let (a, b) = (circles[0], circles[1])
            let gap = a.radius + b.radius + 2
            let apart =
                (a.centerX - b.centerX) * (a.centerX - b.centerX) + (a.centerY - b.centerY)
                * (a.centerY - b.centerY) >= gap * gap
            if apart && relation.holds(subject: a, object: b) { return (a, b) }
            failures += 1
        }
    }

    /// Scenes first..<first+count of the compositional world, rendered at 64×64:
    /// images [B, 3, 64, 64] float32 in [0, 1], their captions and the scenes.
    public static func compositionalBatch(seed: UInt64, first: Int, count: Int, excludingHeldOut: Bool = false)
        -> (images: Tensor, captions: [String], scenes: [WorldScene])
    {
        let scenes = (first..<first + count).map {
            compositionalScene(seed: seed, index: $0, excludingHeldOut: excludingHeldOut)
        }
        return (images(of: scenes), scenes.map(\.caption), scenes)
    }

    /// [B, 3, size, size] float32 in [0, 1], as `images(of: [ShapesScene])`.
    public static func images(of scenes: [WorldScene], size: Int = 64) -> Tensor {
        let imageBytes = size * size * 3
        var pixels = [UInt8](repeating: 0, count: scenes.count * imageBytes)
        pixels.withUnsafeMutableBufferPointer { buffer in
            for (i, scene) in scenes.enumerated() {
                let slice = UnsafeMutableBufferPointer(rebasing: buffer[i * imageBytes..<(i + 1) * imageBytes])
                switch scene {
                case .shapes(let scene): ShapeRasterizer.draw(scene, size: size, into: slice)
                case .relation(let scene): ShapeRasterizer.draw(scene, size: size, into: slice)
                }
            }
        }
        let bytes = Tensor(pixels, shape: [scenes.count, size, size, 3])
        return (bytes.permuted([0, 3, 1, 2]).to(dtype: .float32) / 255.0).contiguous()
    }
}
