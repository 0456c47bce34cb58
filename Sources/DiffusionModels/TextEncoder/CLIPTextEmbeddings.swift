import Torch
import TorchNN

/// Token embeddings plus learned absolute position embeddings (transformers'
/// CLIPTextEmbeddings): `token_embedding.weight` [vocab, hidden],
/// `position_embedding.weight` [maxPositions, hidden].
///
/// transformers also keeps a `position_ids` buffer (0, 1, 2, ...); it carries no
/// learned values, so positions are made here and checkpoints' copies are dropped.
public final class CLIPTextEmbeddings: Module {
    @Child(key: "token_embedding") public var tokenEmbedding: Embedding
    @Child(key: "position_embedding") public var positionEmbedding: Embedding

    public init(configuration: CLIPTextConfiguration) {
        super.init()
        tokenEmbedding = Embedding(count: configuration.vocabularySize, dimension: configuration.hiddenSize)
        positionEmbedding = Embedding(
            count: configuration.maxPositionEmbeddings,
            dimension: configuration.hiddenSize)
    }

    /// Embeddings of integer ids [B, L] as [B, L, hidden]; position i gets row i.
    public func callAsFunction(_ inputIDs: Tensor) -> Tensor {
        let length = inputIDs.size(-1)
        precondition(
            length <= positionEmbedding.count,
            "CLIPTextEmbeddings: \(length) tokens, but the model has \(positionEmbedding.count) positions")
        let positions = Tensor.arange(0, Double(length), dtype: .int64, device: inputIDs.device)
        return tokenEmbedding(inputIDs) + positionEmbedding(positions)
    }
}
