/// The fields of diffusers' `unet/config.json` (UNet2DConditionModel) that Stable
/// Diffusion 1.x/2.x use. Decoding ignores unknown keys, uses diffusers' defaults for
/// absent ones, and refuses features we do not implement (class and addition
/// embeddings, other block types, ...) with an error naming the field.
///
/// Required (every diffusers-saved config has them, and their defaults describe no
/// particular model): `block_out_channels`, `down_block_types`, `up_block_types`,
/// `cross_attention_dim`, `attention_head_dim`.
public struct UNet2DConditionConfiguration: Codable, Equatable {
    /// Latent side the model was trained at; informational (diffusers' default is None,
    /// we use SD 1.x's 64).
    public var sampleSize: Int = 64
    public var inChannels: Int = 4
    public var outChannels: Int = 4
    /// Map the input from [0, 1] to [-1, 1] first (false for SD).
    public var centerInputSample: Bool = false
    public var flipSinToCos: Bool = true
    public var freqShift: Double = 0
    /// Each "CrossAttnDownBlock2D" or "DownBlock2D".
    public var downBlockTypes: [String]
    /// Only "UNetMidBlock2DCrossAttn" (nil, diffusers' "no mid block", is refused).
    public var midBlockType: String? = "UNetMidBlock2DCrossAttn"
    /// Each "CrossAttnUpBlock2D" or "UpBlock2D".
    public var upBlockTypes: [String]
    public var blockOutChannels: [Int]
    public var layersPerBlock: PerBlockValue<Int> = .same(2)
    public var downsamplePadding: Int = 1
    public var midBlockScaleFactor: Double = 1
    public var dropout: Double = 0
    /// "silu" (or its alias "swish"): the only activation SD uses.
    public var actFn: String = "silu"
    public var normNumGroups: Int = 32
    public var normEps: Double = 1e-5
    public var crossAttentionDim: PerBlockValue<Int>
    public var transformerLayersPerBlock: PerBlockValue<Int> = .same(1)
    /// diffusers' quirk: unless `num_attention_heads` is given, this is the NUMBER OF
    /// HEADS per block (not their width), per down block; up blocks use the reversed list.
    public var attentionHeadDim: PerBlockValue<Int>
    /// The number of heads, when given (diffusers itself refuses configs that set it;
    /// we read it as what its name says).
    public var numAttentionHeads: PerBlockValue<Int>?
    /// Linear instead of 1×1-convolution projections around the transformers (SD 2.x).
    public var useLinearProjection: Bool = false
    /// Attention computed in float32 for half-precision inputs (SD 2.x).
    public var upcastAttention: Bool = false
    /// Width of the time embedding; nil: 4 × block_out_channels[0].
    public var timeEmbeddingDim: Int?
    public var convInKernel: Int = 3
    public var convOutKernel: Int = 3

    enum CodingKeys: String, CodingKey {
        case sampleSize = "sample_size"
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case centerInputSample = "center_input_sample"
        case flipSinToCos = "flip_sin_to_cos"
        case freqShift = "freq_shift"
        case downBlockTypes = "down_block_types"
        case midBlockType = "mid_block_type"
        case upBlockTypes = "up_block_types"
        case blockOutChannels = "block_out_channels"
        case layersPerBlock = "layers_per_block"
        case downsamplePadding = "downsample_padding"
        case midBlockScaleFactor = "mid_block_scale_factor"
        case dropout
        case actFn = "act_fn"
        case normNumGroups = "norm_num_groups"
        case normEps = "norm_eps"
        case crossAttentionDim = "cross_attention_dim"
        case transformerLayersPerBlock = "transformer_layers_per_block"
        case attentionHeadDim = "attention_head_dim"
        case numAttentionHeads = "num_attention_heads"
        case useLinearProjection = "use_linear_projection"
        case upcastAttention = "upcast_attention"
        case timeEmbeddingDim = "time_embedding_dim"
        case convInKernel = "conv_in_kernel"
        case convOutKernel = "conv_out_kernel"
    }

    /// Keys of features we refuse unless they hold diffusers' default.
    enum RefusedKeys: String, CodingKey {
        case classEmbedType = "class_embed_type"
        case numClassEmbeds = "num_class_embeds"
        case classEmbeddingsConcat = "class_embeddings_concat"
        case additionEmbedType = "addition_embed_type"
        case encoderHidDim = "encoder_hid_dim"
        case encoderHidDimType = "encoder_hid_dim_type"
        case timeCondProjDim = "time_cond_proj_dim"
        case timeEmbeddingType = "time_embedding_type"
        case timeEmbeddingActFn = "time_embedding_act_fn"
        case timestepPostAct = "timestep_post_act"
        case resnetTimeScaleShift = "resnet_time_scale_shift"
        case resnetSkipTimeAct = "resnet_skip_time_act"
        case dualCrossAttention = "dual_cross_attention"
        case onlyCrossAttention = "only_cross_attention"
        case midBlockOnlyCrossAttention = "mid_block_only_cross_attention"
        case crossAttentionNorm = "cross_attention_norm"
        case attentionType = "attention_type"
        case reverseTransformerLayersPerBlock = "reverse_transformer_layers_per_block"
    }

    /// A configuration with the required fields; set the others as needed.
    public init(
        blockOutChannels: [Int], downBlockTypes: [String], upBlockTypes: [String],
        crossAttentionDim: PerBlockValue<Int>, attentionHeadDim: PerBlockValue<Int>
    ) {
        self.blockOutChannels = blockOutChannels
        self.downBlockTypes = downBlockTypes
        self.upBlockTypes = upBlockTypes
        self.crossAttentionDim = crossAttentionDim
        self.attentionHeadDim = attentionHeadDim
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        blockOutChannels = try c.decode([Int].self, forKey: .blockOutChannels)
        downBlockTypes = try c.decode([String].self, forKey: .downBlockTypes)
        upBlockTypes = try c.decode([String].self, forKey: .upBlockTypes)
        crossAttentionDim = try c.decode(PerBlockValue<Int>.self, forKey: .crossAttentionDim)
        attentionHeadDim = try c.decode(PerBlockValue<Int>.self, forKey: .attentionHeadDim)
        func optional<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        sampleSize = try optional(.sampleSize, sampleSize)
        inChannels = try optional(.inChannels, inChannels)
        outChannels = try optional(.outChannels, outChannels)
        centerInputSample = try optional(.centerInputSample, centerInputSample)
        flipSinToCos = try optional(.flipSinToCos, flipSinToCos)
        freqShift = try optional(.freqShift, freqShift)
        // Present but null means "no mid block" (refused by validate()), not the default.
        if c.contains(.midBlockType) {
            midBlockType = try c.decodeIfPresent(String.self, forKey: .midBlockType)
        }
        layersPerBlock = try optional(.layersPerBlock, layersPerBlock)
        downsamplePadding = try optional(.downsamplePadding, downsamplePadding)
        midBlockScaleFactor = try optional(.midBlockScaleFactor, midBlockScaleFactor)
        dropout = try optional(.dropout, dropout)
        actFn = try optional(.actFn, actFn)
        if c.contains(.normNumGroups), try c.decodeNil(forKey: .normNumGroups) {
            throw UnsupportedConfigurationError(
                field: "norm_num_groups", message: "null is not supported (a UNet without output normalisation)")
        }
        normNumGroups = try optional(.normNumGroups, normNumGroups)
        normEps = try optional(.normEps, normEps)
        if case .array(let values)? = try c.decodeIfPresent(JSONValue.self, forKey: .transformerLayersPerBlock),
            values.contains(where: { $0.arrayValues != nil })
        {
            throw UnsupportedConfigurationError(
                field: "transformer_layers_per_block",
                message: "lists per layer (SDXL style) are not supported")
        }
        transformerLayersPerBlock = try optional(.transformerLayersPerBlock, transformerLayersPerBlock)
        numAttentionHeads = try c.decodeIfPresent(PerBlockValue<Int>.self, forKey: .numAttentionHeads)
        useLinearProjection = try optional(.useLinearProjection, useLinearProjection)
        upcastAttention = try optional(.upcastAttention, upcastAttention)
        timeEmbeddingDim = try c.decodeIfPresent(Int.self, forKey: .timeEmbeddingDim)
        convInKernel = try optional(.convInKernel, convInKernel)
        convOutKernel = try optional(.convOutKernel, convOutKernel)

        let refused = try decoder.container(keyedBy: RefusedKeys.self)
        try refused.requireNull(.classEmbedType, reason: "class embeddings are not implemented")
        try refused.requireNull(.numClassEmbeds, reason: "class embeddings are not implemented")
        try refused.requireDefault(.classEmbeddingsConcat, reason: "class embeddings are not implemented") {
            $0 == .null || $0 == .bool(false)
        }
        try refused.requireNull(.additionEmbedType, reason: "addition embeddings (SDXL, Kandinsky) are not implemented")
        try refused.requireNull(.encoderHidDim, reason: "an encoder hidden-state projection is not implemented")
        try refused.requireNull(.encoderHidDimType, reason: "an encoder hidden-state projection is not implemented")
        try refused.requireNull(.timeCondProjDim, reason: "timestep conditioning (LCM) is not implemented")
        try refused.requireDefault(.timeEmbeddingType, reason: "only \"positional\" time embeddings are implemented") {
            $0 == .null || $0 == .string("positional")
        }
        try refused.requireNull(
            .timeEmbeddingActFn, reason: "an activation after the time embedding is not implemented")
        try refused.requireNull(.timestepPostAct, reason: "an activation after the time embedding is not implemented")
        try refused.requireDefault(.resnetTimeScaleShift, reason: "only \"default\" is implemented") {
            $0 == .null || $0 == .string("default")
        }
        try refused.requireDefault(.resnetSkipTimeAct, reason: "only false is implemented") {
            $0 == .null || $0 == .bool(false)
        }
        try refused.requireDefault(.dualCrossAttention, reason: "dual cross-attention is not implemented") {
            $0 == .null || $0 == .bool(false)
        }
        try refused.requireDefault(.onlyCrossAttention, reason: "cross-attention-only blocks are not implemented") {
            $0 == .null || $0 == .bool(false) || ($0.arrayValues?.allSatisfy { $0 == .bool(false) } ?? false)
        }
        try refused.requireDefault(
            .midBlockOnlyCrossAttention, reason: "cross-attention-only blocks are not implemented"
        ) {
            $0 == .null || $0 == .bool(false)
        }
        try refused.requireNull(.crossAttentionNorm, reason: "cross-attention normalisation is not implemented")
        try refused.requireDefault(.attentionType, reason: "only \"default\" attention is implemented") {
            $0 == .null || $0 == .string("default")
        }
        try refused.requireNull(
            .reverseTransformerLayersPerBlock, reason: "only the reversed down-block layer counts are implemented")

        try validate()
    }
}

extension JSONValue {
    var arrayValues: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}
