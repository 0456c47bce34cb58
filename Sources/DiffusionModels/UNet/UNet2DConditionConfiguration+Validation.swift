/// The block types this library builds.
enum UNetBlockType {
    static let down = ["CrossAttnDownBlock2D", "DownBlock2D"]
    static let up = ["CrossAttnUpBlock2D", "UpBlock2D"]
    static let mid = "UNetMidBlock2DCrossAttn"
}

extension UNet2DConditionConfiguration {
    /// Checks that the model can be built: supported block types, lists of the right
    /// length, channels that split into heads and groups.
    public func validate() throws {
        func fail(_ field: String, _ message: String) -> UnsupportedConfigurationError {
            UnsupportedConfigurationError(field: field, message: message)
        }
        try validateBlockLayout(
            blockOutChannels: blockOutChannels, downBlockTypes: downBlockTypes,
            upBlockTypes: upBlockTypes)
        let count = blockOutChannels.count
        for type in downBlockTypes where !UNetBlockType.down.contains(type) {
            throw fail("down_block_types", "\"\(type)\" is not supported (supported: \(UNetBlockType.down))")
        }
        for type in upBlockTypes where !UNetBlockType.up.contains(type) {
            throw fail("up_block_types", "\"\(type)\" is not supported (supported: \(UNetBlockType.up))")
        }
        guard midBlockType == UNetBlockType.mid else {
            throw fail(
                "mid_block_type",
                "\(midBlockType.map { "\"\($0)\"" } ?? "null") is not supported (supported: \"\(UNetBlockType.mid)\")")
        }
        guard actFn == "silu" || actFn == "swish" else {
            throw fail("act_fn", "\"\(actFn)\" is not supported (only \"silu\")")
        }
        guard inChannels > 0, outChannels > 0 else {
            throw fail(inChannels > 0 ? "out_channels" : "in_channels", "must be positive")
        }
        for (field, kernel) in [("conv_in_kernel", convInKernel), ("conv_out_kernel", convOutKernel)]
        where kernel <= 0 || kernel % 2 == 0 {
            throw fail(field, "must be a positive odd number, got \(kernel)")
        }
        guard downsamplePadding >= 0 else { throw fail("downsample_padding", "must not be negative") }
        guard normNumGroups > 0, blockOutChannels.allSatisfy({ $0 % normNumGroups == 0 }) else {
            throw fail(
                "norm_num_groups", "\(normNumGroups) groups do not divide block_out_channels \(blockOutChannels)")
        }
        if let timeEmbeddingDim, timeEmbeddingDim <= 0 {
            throw fail("time_embedding_dim", "must be positive")
        }

        func perBlock(_ value: PerBlockValue<Int>, _ field: String, minimum: Int) throws -> [Int] {
            guard let values = value.values(blockCount: count) else {
                throw fail(field, "has a list of length \(value.allValues.count) for \(count) blocks")
            }
            guard values.allSatisfy({ $0 >= minimum }) else {
                throw fail(field, "values must be at least \(minimum), got \(value)")
            }
            return values
        }
        _ = try perBlock(layersPerBlock, "layers_per_block", minimum: 1)
        _ = try perBlock(transformerLayersPerBlock, "transformer_layers_per_block", minimum: 1)
        _ = try perBlock(crossAttentionDim, "cross_attention_dim", minimum: 1)
        let headsField = numAttentionHeads == nil ? "attention_head_dim" : "num_attention_heads"
        let heads = try perBlock(numAttentionHeads ?? attentionHeadDim, headsField, minimum: 1)

        // Blocks with attention split their channels into heads: down block i and up
        // block (count-1-i) use heads[i] (the mid block the last), on blockOutChannels[i].
        for index in 0..<count {
            let hasAttention =
                downBlockTypes[index] == "CrossAttnDownBlock2D"
                || upBlockTypes[count - 1 - index] == "CrossAttnUpBlock2D" || index == count - 1
            if hasAttention && blockOutChannels[index] % heads[index] != 0 {
                throw fail(
                    headsField,
                    "\(heads[index]) heads do not divide the \(blockOutChannels[index]) channels of block \(index)")
            }
        }
        guard normEps > 0 && normEps.isFinite else {
            throw fail("norm_eps", "must be a finite number > 0, got \(normEps)")
        }
        guard dropout >= 0 && dropout < 1 else { throw fail("dropout", "must be in [0, 1), got \(dropout)") }
        guard freqShift.isFinite else { throw fail("freq_shift", "must be a finite number, got \(freqShift)") }
        guard midBlockScaleFactor.isFinite && midBlockScaleFactor != 0 else {
            throw fail("mid_block_scale_factor", "must be a finite number other than 0, got \(midBlockScaleFactor)")
        }
        // Last: the sizes, with what they would cost, before anything is allocated.
        try validateSizes()
    }

    /// Per down block (index i): attention heads. diffusers uses `attention_head_dim`
    /// as the head count unless `num_attention_heads` is set.
    var headCounts: [Int] { (numAttentionHeads ?? attentionHeadDim).values(blockCount: blockOutChannels.count)! }
    var layerCounts: [Int] { layersPerBlock.values(blockCount: blockOutChannels.count)! }
    var transformerLayerCounts: [Int] { transformerLayersPerBlock.values(blockCount: blockOutChannels.count)! }
    var crossAttentionDimensions: [Int] { crossAttentionDim.values(blockCount: blockOutChannels.count)! }
    /// Width of the time embedding every ResNet block receives.
    var timeEmbeddingWidth: Int { timeEmbeddingDim ?? blockOutChannels[0] * 4 }
}
