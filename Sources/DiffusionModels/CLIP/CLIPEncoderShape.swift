/// The sizes of one CLIP transformer tower, text or vision: the encoder layers of
/// both are the same pre-norm blocks and differ only in these numbers and in
/// whether attention is causal.
public struct CLIPEncoderShape: Equatable, Sendable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var attentionHeadCount: Int
    public var activation: CLIPActivation
    public var layerNormEpsilon: Double
    /// True for the text tower (each token sees only those before it), false for
    /// the vision tower (every patch sees every patch).
    public var isCausal: Bool

    public init(
        hiddenSize: Int, intermediateSize: Int, attentionHeadCount: Int, activation: CLIPActivation,
        layerNormEpsilon: Double, isCausal: Bool
    ) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.attentionHeadCount = attentionHeadCount
        self.activation = activation
        self.layerNormEpsilon = layerNormEpsilon
        self.isCausal = isCausal
    }

    /// The size of one attention head.
    public var headDimension: Int { hiddenSize / attentionHeadCount }
}

extension CLIPTextConfiguration {
    /// The shape of the text tower's layers (causal attention).
    public var encoderShape: CLIPEncoderShape {
        CLIPEncoderShape(
            hiddenSize: hiddenSize, intermediateSize: intermediateSize,
            attentionHeadCount: attentionHeadCount, activation: activation,
            layerNormEpsilon: layerNormEpsilon, isCausal: true)
    }
}
