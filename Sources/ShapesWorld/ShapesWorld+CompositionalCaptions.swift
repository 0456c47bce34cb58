/// The compositional world's captions: prompt sets, parsing and vocabulary. The
/// original `captions`, `parse(caption:)` and `vocabulary` are left exactly as they
/// were, because the bundled model's tokenizer and rewards were built from them.
extension ShapesWorld {
    /// Every relation description over `objects(excludingHeldOut:)`, in a fixed
    /// order (subject, relation, object, background); with `excludingHeldOut`, the
    /// held-out object pairs are left out too.
    public static func relationDescriptions(excludingHeldOut: Bool = false) -> [RelationScene.Description] {
        let candidates = objects(excludingHeldOut: excludingHeldOut)
        var result: [RelationScene.Description] = []
        for subject in candidates {
            for relation in SpatialRelation.allCases {
                for object in candidates where object != subject {
                    if excludingHeldOut && isHeldOutObjectPair(subject, object) { continue }
                    for background in BackgroundColor.allCases {
                        result.append(
                            .init(subject: subject, relation: relation, object: object, background: background))
                    }
                }
            }
        }
        return result
    }

    /// The relation captions a model pretrained on the compositional world sees:
    /// 20 objects, 360 ordered pairs, 4 relations, 4 backgrounds: 5,760.
    public static var relationCaptions: [String] {
        relationDescriptions(excludingHeldOut: true).map(\.caption)
    }

    /// 320 of the 5,760 trained relation captions, as many as the held-out set, so
    /// trained and held-out captions are evaluated at the same cost and precision:
    /// caption 307·j mod 5,760 for j < 320. 307 is prime to 5,760, so no caption
    /// comes twice, and the stride spreads them: every relation and background 80
    /// times, each first object 15–17 times and each second object 17–18 times.
    public static var relationSampleCaptions: [String] {
        let all = relationCaptions
        return (0..<320).map { all[(307 * $0) % all.count] }
    }

    /// The relation captions of the held-out object pairs: 10 pairs in both orders,
    /// 4 relations, 4 backgrounds: 320, none of them in `relationCaptions`.
    public static var heldOutRelationCaptions: [String] {
        relationDescriptions().filter { isHeldOutObjectPair($0.subject, $0.object) }.map(\.caption)
    }

    /// What `ddpo pretrain` should show a compositional model: the 240 original
    /// trained captions, their 80 counterparts with four shapes and the 5,760
    /// trained relation captions: 6,080.
    public static var compositionalCaptions: [String] {
        captions(counts: [1, 2, 3, 4], excludingHeldOut: true) + relationCaptions
    }

    /// Every caption of the compositional world: the 384 one-object-kind captions
    /// (counts 1–4, all 24 pairs) and the 8,832 relation captions over all 24 objects.
    private static let compositionalCaptionTable: [String: WorldCaption] = {
        let shapes = descriptions(counts: [1, 2, 3, 4]).map { ($0.caption, WorldCaption.shapes($0)) }
        let relations = relationDescriptions().map { ($0.caption, WorldCaption.relation($0)) }
        return Dictionary(uniqueKeysWithValues: shapes + relations)
    }()

    /// What a compositional-world caption says, or nil when it is not exactly one
    /// (surrounding spaces and letter case are forgiven, as in `parse(caption:)`).
    public static func parseCompositional(caption: String) -> WorldCaption? {
        let normalized = caption.lowercased().split(separator: " ", omittingEmptySubsequences: true)
            .joined(separator: " ")
        return compositionalCaptionTable[normalized]
    }

    /// Every word of the compositional world, sorted: the original vocabulary plus
    /// "four", "left", "right", "of", "above" and "below". A model pretrained on the
    /// compositional world gets its own, larger tokenizer from this.
    public static let compositionalVocabulary: [String] = {
        var words = Set<String>()
        for caption in compositionalCaptionTable.keys {
            words.formUnion(caption.split(separator: " ").map(String.init))
        }
        return words.sorted()
    }()
}
