import Torch
import TorchNN

/// CLIP's image tower with its projection (transformers'
/// CLIPVisionModelWithProjection): the image embedding that CLIP compares with
/// text embeddings, and that the LAION aesthetic predictor scores.
///
/// Parameter names are transformers' (`vision_model.embeddings.patch_embedding.weight`,
/// `vision_model.pre_layrnorm.weight` (sic), `vision_model.encoder.layers.0.self_attn.q_proj.weight`,
/// ..., `vision_model.post_layernorm.bias`, `visual_projection.weight`), which a
/// full CLIPModel checkpoint also uses for its vision half.
public final class CLIPVisionModelWithProjection: Module {
    public let configuration: CLIPVisionConfiguration
    @Child(key: "vision_model.embeddings") public var embeddings: CLIPVisionEmbeddings
    @Child(key: "vision_model.pre_layrnorm") public var preLayerNorm: LayerNorm
    @Child(key: "vision_model.encoder.layers") public var layers: [CLIPEncoderLayer]
    @Child(key: "vision_model.post_layernorm") public var postLayerNorm: LayerNorm
    @Child(key: "visual_projection") public var visualProjection: Linear

    /// A model with PyTorch's default random initialisation (or none inside
    /// `withParameterInitialization(.uninitialized)`, before loading weights).
    public init(configuration: CLIPVisionConfiguration) {
        self.configuration = configuration
        super.init()
        let hidden = configuration.hiddenSize
        embeddings = CLIPVisionEmbeddings(configuration: configuration)
        preLayerNorm = LayerNorm(hidden, eps: configuration.layerNormEpsilon)
        layers = (0..<configuration.layerCount).map { _ in CLIPEncoderLayer(shape: configuration.encoderShape) }
        postLayerNorm = LayerNorm(hidden, eps: configuration.layerNormEpsilon)
        visualProjection = Linear(hidden, configuration.projectionDimension, bias: false)
    }

    /// The image embeddings [B, projection] of pixel values [B, channels, S, S]
    /// (S = `imageSize`, normalised as CLIPImageProcessor does). Not L2-normalised.
    public func callAsFunction(_ pixelValues: Tensor) -> Tensor {
        callAsFunction(pixelValues, outputHiddenState: false).imageEmbeddings
    }

    public func callAsFunction(_ pixelValues: Tensor, outputHiddenState: Bool) -> CLIPVisionModelOutput {
        var hidden = preLayerNorm(embeddings(pixelValues))
        for layer in layers { hidden = layer(hidden) }
        // The class token, after the last layer, summarises the image.
        let pooled = postLayerNorm(hidden.select(dim: 1, index: 0))
        return CLIPVisionModelOutput(
            imageEmbeddings: visualProjection(pooled),
            lastHiddenState: outputHiddenState ? hidden : nil)
    }
}

/// What `CLIPVisionModelWithProjection` computes for a batch of images.
public struct CLIPVisionModelOutput {
    /// The projected class token, [B, projection].
    public let imageEmbeddings: Tensor
    /// The last layer's output (no post-layernorm), [B, patches + 1, hidden], when requested.
    public let lastHiddenState: Tensor?
}
