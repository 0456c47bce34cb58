/// Where one object is relative to another in a two-object scene; raw values are
/// the caption words ("a red circle left of a blue square ...").
///
/// A relation holds only clearly: along its axis the centres are at least
/// `margin` pixels apart and at least `dominance` times as far apart as across it
/// (within about 27° of the axis). A scene whose objects are diagonal to each
/// other satisfies no relation, so the generator never draws one, and a caption
/// about a rendered scene is never a matter of judgement.
public enum SpatialRelation: String, CaseIterable, Hashable, Sendable, Codable {
    case leftOf = "left of"
    case rightOf = "right of"
    case above
    case below

    /// The two directions a recogniser tells apart; each covers two relations, read
    /// in opposite orders ("A left of B" is "B right of A").
    public enum Axis: Int, CaseIterable, Sendable {
        case horizontal, vertical
    }

    /// Pixels (of 64) the centres must be apart along the axis, at least.
    public static let margin = 4.0
    /// How many times farther apart along the axis than across it, at least.
    public static let dominance = 2.0

    public var axis: Axis {
        switch self {
        case .leftOf, .rightOf: return .horizontal
        case .above, .below: return .vertical
        }
    }

    /// The same fact said from the other object ("left of" ↔ "right of", "above" ↔ "below").
    public var flipped: SpatialRelation {
        switch self {
        case .leftOf: return .rightOf
        case .rightOf: return .leftOf
        case .above: return .below
        case .below: return .above
        }
    }

    /// Whether the caption's subject is the first object in reading order (the left
    /// one, or the upper one): true for "left of" and "above".
    public var subjectComesFirst: Bool { self == .leftOf || self == .above }

    /// Whether `subject` stands clearly in this relation to `object` (image
    /// coordinates: y grows downwards, so "above" is a smaller y).
    public func holds(subject: ShapesScene.PlacedShape, object: ShapesScene.PlacedShape) -> Bool {
        let dx = object.centerX - subject.centerX  // > 0: the subject is further left
        let dy = object.centerY - subject.centerY  // > 0: the subject is higher up
        let along: Double
        let across: Double
        switch self {
        case .leftOf: (along, across) = (dx, dy)
        case .rightOf: (along, across) = (-dx, dy)
        case .above: (along, across) = (dy, dx)
        case .below: (along, across) = (-dy, dx)
        }
        return along >= Self.margin && along >= Self.dominance * abs(across)
    }
}
