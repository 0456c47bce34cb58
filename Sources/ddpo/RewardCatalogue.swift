import Foundation
import Rewards
import ShapesWorld

/// Every reward the command-line tool knows: the standard ones plus the shapes
/// world's `shapes_alignment` and `parity`, and `diversity`'s `features: recogniser`,
/// whose recogniser defaults to `<model>/recogniser` (where `ddpo pretrain` puts it).
enum RewardCatalogue {
    static func registry(model: String) -> RewardRegistry {
        let recogniser = URL(fileURLWithPath: model).appendingPathComponent("recogniser").path
        var registry = RewardRegistry.standard(
            diversityFeatures: ["recogniser": RecogniserEmbedder.factory(defaultRecogniser: recogniser)])
        ShapesAlignmentReward.register(in: &registry, defaultRecogniser: recogniser)
        ShapesParityReward.register(in: &registry, defaultRecogniser: recogniser)
        return registry
    }
}
