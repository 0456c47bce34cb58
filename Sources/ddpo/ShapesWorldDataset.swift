import Pretraining
import ShapesWorld
import Torch

/// The shapes world as pretraining data: freshly rendered scenes and their captions.
struct ShapesWorldDataset: PretrainingDataset {
    /// Leaves the four held-out shape-colour pairs out of training (generalisation checks).
    var excludingHeldOut: Bool

    func batch(seed: UInt64, first: Int, count: Int) -> (images: Tensor, captions: [String]) {
        let batch = ShapesWorld.batch(seed: seed, first: first, count: count, excludingHeldOut: excludingHeldOut)
        return (batch.images, batch.captions)
    }

    var vocabulary: [String] { ShapesWorld.vocabulary }
}
