import TorchNN

/// What every `Transformer2DModel` of one UNet block shares.
public struct CrossAttentionSettings {
    public var heads: Int
    /// Transformer blocks inside each Transformer2DModel (transformer_layers_per_block).
    public var layerCount: Int
    public var crossAttentionDimension: Int
    public var useLinearProjection: Bool
    public var upcastAttention: Bool

    public init(
        heads: Int, layerCount: Int, crossAttentionDimension: Int, useLinearProjection: Bool,
        upcastAttention: Bool
    ) {
        self.heads = heads
        self.layerCount = layerCount
        self.crossAttentionDimension = crossAttentionDimension
        self.useLinearProjection = useLinearProjection
        self.upcastAttention = upcastAttention
    }

    /// A transformer over `channels` channels, split into `heads` heads of
    /// channels / heads each (as diffusers' blocks build them).
    func makeTransformer(channels: Int, groups: Int) -> Transformer2DModel {
        Transformer2DModel(
            channels: channels, heads: heads, headDimension: channels / heads, layerCount: layerCount,
            crossAttentionDimension: crossAttentionDimension, groups: groups,
            useLinearProjection: useLinearProjection, upcastAttention: upcastAttention)
    }
}
