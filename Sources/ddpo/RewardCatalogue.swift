import Foundation
import Rewards
import ShapesWorld

/// Every reward the command-line tool knows: the standard ones plus the shapes
/// world's `shapes_alignment`, whose recogniser defaults to `<model>/recogniser`
/// (where `ddpo pretrain` puts it).
enum RewardCatalogue {
    static func registry(model: String) -> RewardRegistry {
        var registry = RewardRegistry.standard
        ShapesAlignmentReward.register(
            in: &registry, defaultRecogniser: URL(fileURLWithPath: model).appendingPathComponent("recogniser").path)
        return registry
    }
}
