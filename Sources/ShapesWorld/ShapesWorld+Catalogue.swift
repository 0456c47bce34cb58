import DDPO
import Foundation
import Rewards

extension Catalogue {
    /// The standard catalogue plus what the shapes world adds: the prompt sets
    /// `shapes` (the 240 captions the bundled model was pretrained on),
    /// `shapes_held_out` (the 48 captions of the held-out shape-colour pairs) and
    /// `shapes_all` (all 288); the compositional world's `shapes_relations` (5,760
    /// trained relation captions), `shapes_relations_sample` (320 of them, for
    /// evaluations), `shapes_relations_held_out` (320 captions of the
    /// held-out object pairs) and `shapes_compositional` (6,080: what a compositional
    /// model is pretrained on); the pretraining data `shapes_world` (fresh scenes
    /// without the held-out pairs) and `shapes_compositional_world` (the same for
    /// the compositional world); the rewards `shapes_alignment` and `parity`, and
    /// `diversity`'s `features: recogniser`. The recogniser defaults to
    /// `<model>/recogniser`, where `ddpo pretrain` puts it.
    public static func withShapesWorld(model: String) -> Catalogue {
        let recogniser = URL(fileURLWithPath: model).appendingPathComponent("recogniser").path
        var rewards = RewardRegistry.standard(
            diversityFeatures: ["recogniser": RecogniserEmbedder.factory(defaultRecogniser: recogniser)])
        ShapesAlignmentReward.register(in: &rewards, defaultRecogniser: recogniser)
        ShapesParityReward.register(in: &rewards, defaultRecogniser: recogniser)
        var promptSets = PromptSetRegistry.standard
        ShapesWorld.register(in: &promptSets)
        return Catalogue(
            rewards: rewards, promptSets: promptSets,
            pretrainingData: [
                "shapes_world": { ShapesWorldDataset(excludingHeldOut: true) },
                "shapes_compositional_world": { ShapesCompositionalDataset(excludingHeldOut: true) }
            ])
    }
}

extension ShapesWorld {
    /// Adds the world's caption lists as prompt sets: `shapes`, `shapes_held_out`,
    /// `shapes_all`, `shapes_relations`, `shapes_relations_sample`, `shapes_relations_held_out`,
    /// `shapes_compositional`.
    public static func register(in promptSets: inout PromptSetRegistry) {
        promptSets.register("shapes") { ShapesWorld.captions(excludingHeldOut: true) }
        promptSets.register("shapes_held_out") { ShapesWorld.heldOutCaptions }
        promptSets.register("shapes_all") { ShapesWorld.captions() }
        promptSets.register("shapes_relations") { ShapesWorld.relationCaptions }
        promptSets.register("shapes_relations_sample") { ShapesWorld.relationSampleCaptions }
        promptSets.register("shapes_relations_held_out") { ShapesWorld.heldOutRelationCaptions }
        promptSets.register("shapes_compositional") { ShapesWorld.compositionalCaptions }
    }
}
