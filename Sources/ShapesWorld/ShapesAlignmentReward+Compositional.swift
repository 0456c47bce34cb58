import Rewards

/// `shapes_alignment` with a recogniser that has relation heads: any caption of the
/// compositional world, judged as the product of the probabilities of every part
/// of it, for the same reasons as the original four-part product (or, with
/// `combine: mean`, their mean).
///
/// The parts: `shape` and `colour` (the first object in reading order: the left or
/// upper one), `second_shape` and `second_colour` (the other one; for a one-kind
/// caption the same kind and colour again, so a second kind in the image costs),
/// `count` (1–4; 2 for a relation), `background`, and for relation captions `axis`
/// (horizontal or vertical). A caption with its relation flipped ("right of" for
/// "left of") swaps the two objects in reading order, so it scores low on the
/// object heads even though the axis is right.
///
/// Info per sample: `p_<part>` and `match_<part>` for each part, `match_all`, and for
/// relation captions `match_relation`: the axis and both objects in their order
/// right, i.e. the image shows this subject in this relation to this object.
extension ShapesAlignmentReward {
    func scoreCompositionally(_ input: RewardInput) throws -> RewardBatch {
        var captions: [WorldCaption] = []
        for (index, prompt) in input.prompts.enumerated() {
            guard let caption = ShapesWorld.parseCompositional(caption: prompt) else {
                throw ShapesWorldError.notAWorldCaption(reward: name, index: index, prompt: prompt)
            }
            captions.append(caption)
        }
        guard input.count > 0 else { return RewardBatch(rewards: []) }
        let p = recogniser.headProbabilities(recogniser.inputs(input.images))
        let labels = RecogniserLabels(captions)
        let parts: [(String, [Int?])] = [
            ("shape", labels.shape), ("colour", labels.colour), ("count", labels.count),
            ("background", labels.background), ("second_shape", labels.secondShape),
            ("second_colour", labels.secondColour), ("axis", labels.axis)
        ]
        var info = Array(repeating: [String: Double](), count: input.count)
        var rewards = Array(repeating: 0.0, count: input.count)
        for i in 0..<input.count {
            var allMatch = true
            var chosen: [Double] = []
            for (part, truths) in parts {
                guard let truth = truths[i], let row = p[part]?[i] else { continue }
                let matches = argmax(row) == truth
                chosen.append(row[truth])
                info[i]["p_\(part)"] = row[truth]
                info[i]["match_\(part)"] = matches ? 1 : 0
                allMatch = allMatch && matches
            }
            rewards[i] = combination.combine(chosen)
            info[i]["match_all"] = allMatch ? 1 : 0
            if case .relation = captions[i] {
                let relationParts = ["shape", "colour", "second_shape", "second_colour", "axis"]
                info[i]["match_relation"] = relationParts.allSatisfy { info[i]["match_\($0)"] == 1 } ? 1 : 0
            }
        }
        return RewardBatch(rewards: rewards, info: info)
    }
}
