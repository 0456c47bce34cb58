import Torch

/// `mixed_precision`: whether the UNet's forward passes (sampling, and the re-scoring
/// and losses of training) run under autocast. The names are ddpo-pytorch's
/// (accelerate's `mixed_precision`); "fp16" is not offered, since training in fp16
/// needs a loss scaler this trainer does not have.
public enum MixedPrecision: String, CaseIterable, Codable, Sendable {
    /// Everything in `dtype` (the default).
    case no = "no"
    /// Autocast to bfloat16: convolutions and matrix products in bf16, the trainable
    /// weights, their gradients and the optimizer state in fp32.
    case bf16 = "bf16"

    /// The dtype autocast casts to, or nil for none.
    public var autocastDType: DType? {
        switch self {
        case .no: return nil
        case .bf16: return .bfloat16
        }
    }
}

extension MixedPrecision: ConfigurationChoice {}
