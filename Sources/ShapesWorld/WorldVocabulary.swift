/// The four shape kinds; raw values are the caption words (singular).
public enum ShapeKind: String, CaseIterable, Hashable, Sendable, Codable {
    case circle, square, triangle, star

    /// The caption word for more than one.
    public var plural: String { rawValue + "s" }
}

/// The six shape colours; raw values are the caption words.
public enum ShapeColor: String, CaseIterable, Hashable, Sendable, Codable {
    case red, green, blue, yellow, purple, orange

    /// Chosen far apart in RGB, and far from every background, so that a pixel's
    /// colour alone says which it is (the rendering tests and the recogniser rely on it).
    public var rgb: (UInt8, UInt8, UInt8) {
        switch self {
        case .red: return (220, 30, 30)
        case .green: return (30, 170, 50)
        case .blue: return (30, 60, 220)
        case .yellow: return (245, 215, 20)
        case .purple: return (140, 40, 170)
        case .orange: return (250, 130, 10)
        }
    }
}

/// The four backgrounds; raw values are the caption words ("light blue" is two).
public enum BackgroundColor: String, CaseIterable, Hashable, Sendable, Codable {
    case white, black, gray
    case lightBlue = "light blue"

    public var rgb: (UInt8, UInt8, UInt8) {
        switch self {
        case .white: return (255, 255, 255)
        case .black: return (0, 0, 0)
        case .gray: return (128, 128, 128)
        case .lightBlue: return (165, 205, 245)
        }
    }
}

/// A shape kind in a colour: what the held-out generalisation split is made of.
public struct ShapeColorPair: Hashable, Sendable {
    public var kind: ShapeKind
    public var color: ShapeColor

    public init(_ kind: ShapeKind, _ color: ShapeColor) {
        self.kind = kind
        self.color = color
    }
}

/// The caption word for a count of 1...4 ("a" itself is chosen by the caption, see
/// `ShapesScene.Description.caption`; four occurs only in the compositional world).
func countWord(_ count: Int) -> String {
    switch count {
    case 1: return "one"
    case 2: return "two"
    case 3: return "three"
    case 4: return "four"
    default: preconditionFailure("ShapesWorld: count must be 1...4, got \(count)")
    }
}
