import Torch

/// The true class of every recogniser head for a batch of compositional-world
/// captions. Objects are in reading order (`RelationScene.Description.readingOrder`);
/// a one-kind scene's second object is its one kind and colour again.
struct RecogniserLabels {
    var shape: [Int]
    var colour: [Int]
    /// count − 1, in 0...3.
    var count: [Int]
    var background: [Int]
    var secondShape: [Int]
    var secondColour: [Int]
    /// The relation's axis (`SpatialRelation.Axis.rawValue`), or nil for a scene
    /// without a relation: its axis head is neither trained nor judged there.
    var axis: [Int?]

    init(_ captions: [WorldCaption]) {
        (shape, colour, count, background, secondShape, secondColour, axis) = ([], [], [], [], [], [], [])
        for caption in captions {
            let first: ShapeColorPair
            let second: ShapeColorPair
            switch caption {
            case .shapes(let description):
                first = ShapeColorPair(description.kind, description.color)
                second = first
                count.append(description.count - 1)
                background.append(Self.index(description.background))
                axis.append(nil)
            case .relation(let description):
                (first, second) = description.readingOrder
                count.append(1)
                background.append(Self.index(description.background))
                axis.append(description.relation.axis.rawValue)
            }
            shape.append(Self.index(first.kind))
            colour.append(Self.index(first.color))
            secondShape.append(Self.index(second.kind))
            secondColour.append(Self.index(second.color))
        }
    }

    static func index<T: CaseIterable & Equatable>(_ value: T) -> Int {
        Array(T.allCases).firstIndex(of: value)!
    }

    /// A [B] int64 tensor of class indices.
    static func tensor(_ values: [Int]) -> Tensor {
        Tensor(values.map { Int64($0) })
    }
}
