import Pretraining
import Torch

/// The compositional world as pretraining data (`shapes_compositional_world`):
/// fresh scenes with counts up to four and two-object relations, captioned.
/// Its vocabulary is larger than the original world's, so a model pretrained on
/// it gets a new tokenizer; the bundled model keeps its own.
public struct ShapesCompositionalDataset: PretrainingDataset {
    /// Leaves the held-out shape-colour pairs and the held-out object pairs out.
    public var excludingHeldOut: Bool

    public init(excludingHeldOut: Bool) {
        self.excludingHeldOut = excludingHeldOut
    }

    public func batch(seed: UInt64, first: Int, count: Int) -> (images: Tensor, captions: [String]) {
        let batch = ShapesWorld.compositionalBatch(
            seed: seed, first: first, count: count, excludingHeldOut: excludingHeldOut)
        return (batch.images, batch.captions)
    }

    public var vocabulary: [String] { ShapesWorld.compositionalVocabulary }
}
