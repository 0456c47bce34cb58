import Torch
import TorchNN

/// Patch embeddings, a learned class token and learned absolute position
/// embeddings (transformers' CLIPVisionEmbeddings): `patch_embedding.weight`
/// [hidden, channels, patch, patch] (no bias), `class_embedding` [hidden],
/// `position_embedding.weight` [patches + 1, hidden].
///
/// transformers also keeps a `position_ids` buffer (0, 1, 2, ...); it carries no
/// learned values, so positions are made here and checkpoints' copies are dropped.
public final class CLIPVisionEmbeddings: Module {
    public let imageSize: Int
    @Child(key: "patch_embedding") public var patchEmbedding: Conv2d
    @Parameter(key: "class_embedding") public var classEmbedding: Tensor
    @Child(key: "position_embedding") public var positionEmbedding: Embedding

    public init(configuration: CLIPVisionConfiguration) {
        imageSize = configuration.imageSize
        super.init()
        let hidden = configuration.hiddenSize
        patchEmbedding = Conv2d(
            configuration.channelCount, hidden, kernelSize: configuration.patchSize,
            stride: configuration.patchSize, bias: false)
        classEmbedding = ParameterInitializer.normal([hidden])
        positionEmbedding = Embedding(count: configuration.positionCount, dimension: hidden)
    }

    /// [B, patches + 1, hidden] of pixel values [B, channels, imageSize, imageSize];
    /// the class token comes first, then the patches row by row.
    public func callAsFunction(_ pixelValues: Tensor) -> Tensor {
        precondition(
            pixelValues.rank == 4 && pixelValues.size(2) == imageSize && pixelValues.size(3) == imageSize,
            "CLIPVisionEmbeddings: expected pixel values [B, C, \(imageSize), \(imageSize)], "
                + "got \(pixelValues.shape)")
        let batch = pixelValues.size(0)
        let patches = patchEmbedding(pixelValues.to(dtype: patchEmbedding.weight.dtype))
        let tokens = patches.reshaped([batch, patches.size(1), -1]).transposed(1, 2)
        let classToken = classEmbedding.reshaped([1, 1, -1]).expanded(to: [batch, 1, classEmbedding.size(0)])
        let positions = Tensor.arange(0, Double(positionEmbedding.count), dtype: .int64, device: pixelValues.device)
        return Tensor.cat([classToken, tokens], dim: 1) + positionEmbedding(positions)
    }
}
