import DiffusionModels

/// The sizes that worked for the 64×64 shapes world (docs/pretraining.md, "The feasibility probe"):
/// a VAE to 16×16×4 latents, a ~1 M-parameter UNet with cross-attention only at
/// 8×8 and in the mid block, and a 2-layer CLIP text encoder of width 64.
public enum TinyModelPresets {
    /// 64×64 → 16×16×4 with channels 16/32/64 (two downsamplings).
    public static var vae: AutoencoderKLConfiguration {
        var c = AutoencoderKLConfiguration(
            blockOutChannels: [16, 32, 64],
            downBlockTypes: Array(repeating: "DownEncoderBlock2D", count: 3),
            upBlockTypes: Array(repeating: "UpDecoderBlock2D", count: 3))
        c.layersPerBlock = 1
        c.normNumGroups = 8
        c.latentChannels = 4
        return c
    }

    /// Blocks (32, 64) on 16×16 latents: plain ResNets at 16×16, attention at 8×8
    /// and in the mid block; 1.0 M parameters.
    public static func unet(crossAttentionDim: Int = 64) -> UNet2DConditionConfiguration {
        var c = UNet2DConditionConfiguration(
            blockOutChannels: [32, 64],
            downBlockTypes: ["DownBlock2D", "CrossAttnDownBlock2D"],
            upBlockTypes: ["CrossAttnUpBlock2D", "UpBlock2D"],
            crossAttentionDim: .same(crossAttentionDim),
            // diffusers' quirk: this is the number of heads (64 channels / 4 = 16 wide).
            attentionHeadDim: .same(4))
        c.sampleSize = 16
        c.normNumGroups = 8
        // One ResNet per level gives the measured 1.0 M parameters (two: 1.45 M).
        c.layersPerBlock = .same(1)
        return c
    }

    /// Width 64, 2 layers, 4 heads, MLP 128; the vocabulary comes from the tokenizer
    /// folder (its 512 byte symbols are most of the embedding table).
    public static func textEncoder(vocabularySize: Int, endTokenID: Int) -> CLIPTextConfiguration {
        CLIPTextConfiguration(
            vocabularySize: vocabularySize, hiddenSize: 64, intermediateSize: 128, layerCount: 2,
            attentionHeadCount: 4, maxPositionEmbeddings: 77, activation: .quickGELU,
            layerNormEpsilon: 1e-5, projectionDimension: 64, endTokenID: endTokenID)
    }
}
