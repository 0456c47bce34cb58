import Torch
import TorchNN

/// The text encoder of Stable Diffusion 1.x/2.x: CLIP's causal text transformer
/// without a projection head (transformers' CLIPTextModel).
///
/// Parameter names are those of the text encoders published with Stable Diffusion
/// (`text_model.embeddings.token_embedding.weight`,
/// `text_model.encoder.layers.0.self_attn.q_proj.weight`, ...,
/// `text_model.final_layer_norm.bias`), so checkpoints load and LoRA weights
/// export under the names other tools expect.
public final class CLIPTextModel: Module {
    public let configuration: CLIPTextConfiguration
    @Child(key: "text_model.embeddings") public var embeddings: CLIPTextEmbeddings
    @Child(key: "text_model.encoder.layers") public var layers: [CLIPEncoderLayer]
    @Child(key: "text_model.final_layer_norm") public var finalLayerNorm: LayerNorm

    /// A model with PyTorch's default random initialisation (or none inside
    /// `withParameterInitialization(.uninitialized)`, before loading weights).
    public init(configuration: CLIPTextConfiguration) {
        self.configuration = configuration
        super.init()
        embeddings = CLIPTextEmbeddings(configuration: configuration)
        layers = (0..<configuration.layerCount).map { _ in CLIPEncoderLayer(shape: configuration.encoderShape) }
        finalLayerNorm = LayerNorm(configuration.hiddenSize, eps: configuration.layerNormEpsilon)
    }

    /// The last hidden state, after the final layer norm, [B, L, hidden], of
    /// integer token ids [B, L] (L at most `maxPositionEmbeddings`): what Stable
    /// Diffusion's UNet attends to.
    public func callAsFunction(_ inputIDs: Tensor) -> Tensor {
        callAsFunction(inputIDs, outputHiddenStates: false).lastHiddenState
    }

    /// The last hidden state and, with `outputHiddenStates`, the hidden state
    /// before every layer and after the last one (transformers' `hidden_states`).
    public func callAsFunction(_ inputIDs: Tensor, outputHiddenStates: Bool) -> CLIPTextModelOutput {
        precondition(
            inputIDs.rank == 2 && !inputIDs.dtype.isFloatingPoint,
            "CLIPTextModel: expected integer token ids [batch, length], got \(inputIDs.dtype) \(inputIDs.shape)")
        var hidden = embeddings(inputIDs)
        var hiddenStates: [Tensor] = outputHiddenStates ? [hidden] : []
        for layer in layers {
            hidden = layer(hidden)
            if outputHiddenStates { hiddenStates.append(hidden) }
        }
        return CLIPTextModelOutput(lastHiddenState: finalLayerNorm(hidden), hiddenStates: hiddenStates)
    }
}

/// What `CLIPTextModel` computes for a batch of token ids.
public struct CLIPTextModelOutput {
    /// The last layer's output after the final layer norm, [B, L, hidden].
    public let lastHiddenState: Tensor
    /// The embeddings, then each layer's output, all WITHOUT the final layer norm
    /// (layerCount + 1 tensors), or empty when not requested.
    public let hiddenStates: [Tensor]

    /// `hiddenStates[index]` with Python's indexing: -1 is the last layer's output
    /// (before the final layer norm), -2 the one before it (the "penultimate layer"
    /// / clip-skip input), 0 the embeddings.
    public func hiddenStates(at index: Int) -> Tensor {
        precondition(
            !hiddenStates.isEmpty, "CLIPTextModelOutput: hidden states were not requested (outputHiddenStates)")
        let position = index < 0 ? hiddenStates.count + index : index
        precondition(
            hiddenStates.indices.contains(position),
            "CLIPTextModelOutput: hidden state \(index) out of range for \(hiddenStates.count) states")
        return hiddenStates[position]
    }
}
