import Foundation
import Torch
import TorchNN

/// A whole CLIP (transformers' CLIPModel): a text tower with its projection, an
/// image tower with its projection, and the learned temperature. The reward
/// models PickScore and HPS v2 are CLIPs fine-tuned on human preferences; CLIP
/// score is the plain model's similarity.
///
/// Not a `Module` of its own: its parts keep the parameter names they have in a
/// CLIPModel checkpoint (`text_model.*`, `text_projection.weight`,
/// `vision_model.*`, `visual_projection.weight`, `logit_scale`), and
/// `load(directory:)` hands each part its tensors.
public final class CLIPModel {
    public let configuration: CLIPModelConfiguration
    public let text: CLIPTextModel
    /// `text_projection`: pooled text output → the shared embedding space (no bias).
    public let textProjection: Linear
    /// The image tower with `visual_projection`.
    public let vision: CLIPVisionModelWithProjection
    /// log of the temperature that multiplies cosine similarities into logits.
    public let logitScale: Double

    public init(
        configuration: CLIPModelConfiguration, text: CLIPTextModel, textProjection: Linear,
        vision: CLIPVisionModelWithProjection, logitScale: Double
    ) {
        precondition(
            textProjection.inFeatures == configuration.text.hiddenSize
                && textProjection.outFeatures == configuration.projectionDimension,
            "CLIPModel: text projection \(textProjection.inFeatures)→\(textProjection.outFeatures) for a text "
                + "width of \(configuration.text.hiddenSize) and embeddings of \(configuration.projectionDimension)")
        self.configuration = configuration
        self.text = text
        self.textProjection = textProjection
        self.vision = vision
        self.logitScale = logitScale
    }

    /// Random weights (PyTorch's default initialisation), logit scale ln(1/0.07) as transformers starts it.
    public convenience init(configuration: CLIPModelConfiguration) {
        self.init(
            configuration: configuration, text: CLIPTextModel(configuration: configuration.text),
            textProjection: Linear(configuration.text.hiddenSize, configuration.projectionDimension, bias: false),
            vision: CLIPVisionModelWithProjection(configuration: configuration.vision),
            logitScale: log(1 / 0.07))
    }

    /// The projected text embeddings [B, projection] (not normalised) of token ids
    /// [B, L]: the final layer norm's output at each row's end token, as
    /// transformers pools it.
    public func textEmbeddings(_ inputIDs: Tensor) -> Tensor {
        let hidden = text(inputIDs)
        let positions = Self.poolingPositions(
            inputIDs.to(dtype: .int64).to(device: .cpu).toArray(Int64.self), rowLength: inputIDs.size(1),
            endTokenID: configuration.text.endTokenID)
        let pooled = Tensor.stack(
            positions.enumerated().map { row, position in
                hidden.select(dim: 0, index: row).select(dim: 0, index: position)
            })
        return textProjection(pooled)
    }

    /// The projected image embeddings [B, projection] (not normalised) of pixel values.
    public func imageEmbeddings(_ pixelValues: Tensor) -> Tensor {
        vision(pixelValues)
    }

    /// Where transformers' CLIPTextTransformer takes each row's pooled output: the
    /// first end token; with the legacy end-token id 2 (configs written before
    /// transformers read it), the largest id, which is the end token in CLIP's
    /// vocabulary. A row without an end token pools position 0, as argmax does.
    static func poolingPositions(_ flatIDs: [Int64], rowLength: Int, endTokenID: Int) -> [Int] {
        stride(from: 0, to: flatIDs.count, by: rowLength).map { start in
            let row = flatIDs[start..<min(start + rowLength, flatIDs.count)]
            if endTokenID == 2 {
                let largest = row.max() ?? 0
                return row.firstIndex(of: largest).map { $0 - start } ?? 0
            }
            return row.firstIndex(of: Int64(endTokenID)).map { $0 - start } ?? 0
        }
    }

    /// Moves every part to `device` and floating-point weights to `dtype`.
    @discardableResult
    public func to(dtype: DType, device: Device) -> CLIPModel {
        _ = text.to(dtype: dtype, device: device)
        _ = textProjection.to(dtype: dtype, device: device)
        _ = vision.to(dtype: dtype, device: device)
        return self
    }
}
