import Foundation
import Torch
import TorchNN

/// Multi-head self-attention of a CLIP tower (transformers' CLIPAttention):
/// `q_proj`, `k_proj`, `v_proj`, `out_proj`, each hidden → hidden with bias,
/// scores scaled by head_dim^-0.5.
public final class CLIPAttention: Module {
    public let headCount: Int
    public let headDimension: Int
    public let isCausal: Bool
    @Child(key: "k_proj") public var keyProjection: Linear
    @Child(key: "v_proj") public var valueProjection: Linear
    @Child(key: "q_proj") public var queryProjection: Linear
    @Child(key: "out_proj") public var outputProjection: Linear

    public init(shape: CLIPEncoderShape) {
        headCount = shape.attentionHeadCount
        headDimension = shape.headDimension
        isCausal = shape.isCausal
        super.init()
        let hidden = shape.hiddenSize
        // Declared in transformers' order (k, v, q, out) so parameter order matches its state dict.
        keyProjection = Linear(hidden, hidden)
        valueProjection = Linear(hidden, hidden)
        queryProjection = Linear(hidden, hidden)
        outputProjection = Linear(hidden, hidden)
    }

    public convenience init(configuration: CLIPTextConfiguration) {
        self.init(shape: configuration.encoderShape)
    }

    /// Attention over x [B, L, hidden]. In the causal (text) tower each position
    /// sees itself and the positions before it. Padding is not masked: Stable
    /// Diffusion calls the text encoder without an attention mask, so padding tokens
    /// attend and are attended to (from later positions) like any other.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (batch, length, hidden) = (x.size(0), x.size(1), x.size(2))
        func heads(_ projected: Tensor) -> Tensor {
            projected.reshaped([batch, length, headCount, headDimension]).transposed(1, 2)
        }
        let attended = scaledDotProductAttention(
            query: heads(queryProjection(x)), key: heads(keyProjection(x)), value: heads(valueProjection(x)),
            isCausal: isCausal, scale: pow(Double(headDimension), -0.5))
        return outputProjection(attended.transposed(1, 2).reshaped([batch, length, hidden]))
    }
}
