import ImageCodecs

/// One scene of the world: `count` shapes of one kind and colour on a background
/// (1–3 in the original world, up to 4 in the compositional one).
public struct ShapesScene: Equatable, Sendable {
    /// What a caption says about a scene (everything but the placement).
    public struct Description: Hashable, Sendable {
        public var kind: ShapeKind
        public var color: ShapeColor
        public var count: Int
        public var background: BackgroundColor

        public init(kind: ShapeKind, color: ShapeColor, count: Int, background: BackgroundColor) {
            precondition((1...4).contains(count), "ShapesScene.Description: count must be 1...4, got \(count)")
            self.kind = kind
            self.color = color
            self.count = count
            self.background = background
        }

        /// "a red circle on a white background", "an orange star on a gray background",
        /// "three blue squares on a light blue background". One is "a" (or "an" before
        /// a vowel, as English has it), more are number words.
        public var caption: String {
            let shapes: String
            if count == 1 {
                let article = color == .orange ? "an" : "a"
                shapes = "\(article) \(color.rawValue) \(kind.rawValue)"
            } else {
                shapes = "\(countWord(count)) \(color.rawValue) \(kind.plural)"
            }
            return "\(shapes) on a \(background.rawValue) background"
        }
    }

    /// One shape's place, in pixels of a 64×64 image: the centre and the radius of
    /// the circle that encloses it (every kind fits inside its circle).
    public struct PlacedShape: Equatable, Sendable {
        public var centerX: Double
        public var centerY: Double
        public var radius: Double

        public init(centerX: Double, centerY: Double, radius: Double) {
            self.centerX = centerX
            self.centerY = centerY
            self.radius = radius
        }
    }

    public var kind: ShapeKind
    public var color: ShapeColor
    public var background: BackgroundColor
    /// The shapes; their enclosing circles do not touch (at least 2 px apart).
    public var shapes: [PlacedShape]

    public init(kind: ShapeKind, color: ShapeColor, background: BackgroundColor, shapes: [PlacedShape]) {
        precondition((1...4).contains(shapes.count), "ShapesScene: 1...4 shapes, got \(shapes.count)")
        self.kind = kind
        self.color = color
        self.background = background
        self.shapes = shapes
    }

    public var count: Int { shapes.count }

    public var description: Description {
        Description(kind: kind, color: color, count: count, background: background)
    }

    public var caption: String { description.caption }

    /// The scene as a size×size image (coordinates scale with size / 64).
    public func render(size: Int = 64) -> RGBImage {
        ShapeRasterizer.image(size: size) { ShapeRasterizer.draw(self, size: size, into: $0) }
    }
}
