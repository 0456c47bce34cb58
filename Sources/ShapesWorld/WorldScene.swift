import ImageCodecs

/// A scene of the compositional world: either the original kind (one to four
/// shapes of one kind and colour) or two objects in a spatial relation.
public enum WorldScene: Equatable, Sendable {
    case shapes(ShapesScene)
    case relation(RelationScene)

    public var description: WorldCaption {
        switch self {
        case .shapes(let scene): return .shapes(scene.description)
        case .relation(let scene): return .relation(scene.description)
        }
    }

    public var caption: String { description.caption }

    public func render(size: Int = 64) -> RGBImage {
        switch self {
        case .shapes(let scene): return scene.render(size: size)
        case .relation(let scene): return scene.render(size: size)
        }
    }
}
