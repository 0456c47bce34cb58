import Pretraining
import Torch

/// The shapes world as pretraining data: freshly rendered scenes and their captions.
/// Used by `ddpo pretrain` and by the pretraining loss of a DDPO run.
public struct ShapesWorldDataset: PretrainingDataset {
    /// Leaves the four held-out shape-colour pairs out of training (generalisation checks).
    public var excludingHeldOut: Bool

    public init(excludingHeldOut: Bool) {
        self.excludingHeldOut = excludingHeldOut
    }

    public func batch(seed: UInt64, first: Int, count: Int) -> (images: Tensor, captions: [String]) {
        let batch = ShapesWorld.batch(seed: seed, first: first, count: count, excludingHeldOut: excludingHeldOut)
        return (batch.images, batch.captions)
    }

    public var vocabulary: [String] { ShapesWorld.vocabulary }
}
