import Foundation
import Torch

extension Trainer {
    /// A fingerprint of the trainable weights and the optimizer state (`bitFingerprint`):
    /// equal on every rank of a data-parallel run, which checks it after every
    /// optimizer step (`PolicyUpdate`).
    public func trainingStateFingerprint() -> UInt64 {
        bitFingerprint(optimizer.trainingState)
    }
}

extension AdamW {
    /// The parameters, then the optimizer state in name order: what every rank of a
    /// data-parallel run must hold bit for bit.
    var trainingState: [Tensor] {
        let state = stateTensors()
        return parameters.map(\.tensor) + state.keys.sorted().map { state[$0]! }
    }
}
