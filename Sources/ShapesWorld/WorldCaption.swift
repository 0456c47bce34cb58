/// What a caption of the compositional world says: the description of either kind
/// of scene. The reward parses prompts into this and judges each part.
public enum WorldCaption: Hashable, Sendable {
    case shapes(ShapesScene.Description)
    case relation(RelationScene.Description)

    public var caption: String {
        switch self {
        case .shapes(let description): return description.caption
        case .relation(let description): return description.caption
        }
    }

    /// Whether only a recogniser with relation heads (and four count classes) can
    /// judge it: relation captions and counts of four.
    public var needsRelationsRecogniser: Bool {
        switch self {
        case .shapes(let description): return description.count > 3
        case .relation: return true
        }
    }
}
