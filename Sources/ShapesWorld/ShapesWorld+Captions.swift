/// Captions as text: listing them (prompt sets), parsing them back (rewards) and
/// their words (the tokenizer's vocabulary).
extension ShapesWorld {
    /// Every description of the world, in a fixed order (kind, colour, count, background).
    public static func descriptions(
        kinds: [ShapeKind] = ShapeKind.allCases,
        colours: [ShapeColor] = ShapeColor.allCases,
        counts: [Int] = [1, 2, 3],
        backgrounds: [BackgroundColor] = BackgroundColor.allCases,
        excludingHeldOut: Bool = false
    ) -> [ShapesScene.Description] {
        var result: [ShapesScene.Description] = []
        for kind in kinds {
            for colour in colours where !(excludingHeldOut && heldOutPairs.contains(ShapeColorPair(kind, colour))) {
                for count in counts {
                    for background in backgrounds {
                        result.append(.init(kind: kind, color: colour, count: count, background: background))
                    }
                }
            }
        }
        return result
    }

    /// The captions of `descriptions(...)`: the hook for the trainer's prompt sets
    /// ("shapes": all of them; "shapes_held_out": only the held-out pairs' captions,
    /// e.g. by filtering `descriptions()` on `heldOutPairs`).
    public static func captions(
        kinds: [ShapeKind] = ShapeKind.allCases,
        colours: [ShapeColor] = ShapeColor.allCases,
        counts: [Int] = [1, 2, 3],
        backgrounds: [BackgroundColor] = BackgroundColor.allCases,
        excludingHeldOut: Bool = false
    ) -> [String] {
        descriptions(
            kinds: kinds, colours: colours, counts: counts, backgrounds: backgrounds,
            excludingHeldOut: excludingHeldOut
        ).map(\.caption)
    }

    /// The captions of the held-out pairs only.
    public static var heldOutCaptions: [String] {
        descriptions().filter { heldOutPairs.contains(ShapeColorPair($0.kind, $0.color)) }.map(\.caption)
    }

    /// All 288 captions, for exact parsing: the world is small enough that a table
    /// is simpler and stricter than a grammar.
    private static let captionTable: [String: ShapesScene.Description] = {
        Dictionary(uniqueKeysWithValues: descriptions().map { ($0.caption, $0) })
    }()

    /// What a caption says, or nil when it is not exactly one of the world's
    /// captions (surrounding spaces and letter case are forgiven).
    public static func parse(caption: String) -> ShapesScene.Description? {
        let normalized = caption.lowercased().split(separator: " ", omittingEmptySubsequences: true)
            .joined(separator: " ")
        return captionTable[normalized]
    }

    /// Every word any caption contains, sorted.
    public static let vocabulary: [String] = {
        var words = Set<String>()
        for caption in captionTable.keys {
            words.formUnion(caption.split(separator: " ").map(String.init))
        }
        return words.sorted()
    }()
}
