import Pretraining

/// Where the pretraining loss of a DDPO run (`train.pretrain_data`) takes its
/// images and captions from.
public enum PretrainingData: String, CaseIterable, Codable, Sendable {
    /// The tiny shapes world's generator (ShapesWorld), without the held-out
    /// shape-colour pairs, so the loss never teaches what the generalisation
    /// checks hold back (the bundled model was pretrained the same way).
    case shapesWorld = "shapes_world"

    /// The dataset this choice names.
    public func dataset() -> PretrainingDataset {
        switch self {
        case .shapesWorld: return ShapesWorldDataset(excludingHeldOut: true)
        }
    }
}

extension PretrainingData: ConfigurationChoice {}
