import ImageCodecs

/// A two-object scene: `subject` stands in `relation` to `object` on a background,
/// e.g. "a red circle left of a blue square on a white background". The two
/// objects differ in kind, colour or both, so the caption says which is which.
public struct RelationScene: Equatable, Sendable {
    /// What a caption says about a relation scene (everything but the placement).
    public struct Description: Hashable, Sendable {
        public var subject: ShapeColorPair
        public var relation: SpatialRelation
        public var object: ShapeColorPair
        public var background: BackgroundColor

        public init(
            subject: ShapeColorPair, relation: SpatialRelation, object: ShapeColorPair, background: BackgroundColor
        ) {
            precondition(subject != object, "RelationScene.Description: the two objects must differ")
            self.subject = subject
            self.relation = relation
            self.object = object
            self.background = background
        }

        /// "a red circle left of a blue square on a white background", "an orange
        /// star above a green triangle on a gray background".
        public var caption: String {
            "\(Self.phrase(subject)) \(relation.rawValue) \(Self.phrase(object)) on a \(background.rawValue) background"
        }

        /// The objects in reading order (the left or upper one first), which is how
        /// the recogniser reports them: the subject first for "left of" and "above".
        public var readingOrder: (first: ShapeColorPair, second: ShapeColorPair) {
            relation.subjectComesFirst ? (subject, object) : (object, subject)
        }

        /// "a red circle", "an orange star" (as in `ShapesScene.Description.caption`).
        static func phrase(_ pair: ShapeColorPair) -> String {
            "\(pair.color == .orange ? "an" : "a") \(pair.color.rawValue) \(pair.kind.rawValue)"
        }
    }

    public var subject: ShapeColorPair
    public var relation: SpatialRelation
    public var object: ShapeColorPair
    public var background: BackgroundColor
    /// Where the subject and the object are; their enclosing circles are at least
    /// 2 px apart and `relation.holds(subject:object:)` is true.
    public var subjectShape: ShapesScene.PlacedShape
    public var objectShape: ShapesScene.PlacedShape

    public init(
        subject: ShapeColorPair, relation: SpatialRelation, object: ShapeColorPair, background: BackgroundColor,
        subjectShape: ShapesScene.PlacedShape, objectShape: ShapesScene.PlacedShape
    ) {
        precondition(subject != object, "RelationScene: the two objects must differ")
        precondition(
            relation.holds(subject: subjectShape, object: objectShape),
            "RelationScene: the placement does not show \"\(relation.rawValue)\" clearly")
        self.subject = subject
        self.relation = relation
        self.object = object
        self.background = background
        self.subjectShape = subjectShape
        self.objectShape = objectShape
    }

    public var description: Description {
        Description(subject: subject, relation: relation, object: object, background: background)
    }

    public var caption: String { description.caption }

    /// The scene as a size×size image (coordinates scale with size / 64).
    public func render(size: Int = 64) -> RGBImage {
        ShapeRasterizer.image(size: size) { ShapeRasterizer.draw(self, size: size, into: $0) }
    }
}
