import Torch
import TorchNN

/// diffusers' `UNet2DConditionModel` for Stable Diffusion 1.x/2.x: it predicts the
/// noise (or v) of noisy latents at given timesteps, conditioned on text encoder states.
///
/// Parameter names are diffusers' (`down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight`),
/// so checkpoints load directly and LoRA adapters can be attached by path.
public final class UNet2DConditionModel: Module {
    public let configuration: UNet2DConditionConfiguration

    // Declaration order is diffusers' registration order (up_blocks is registered, empty,
    // before mid_block), which fixes the parameter order.
    @Child(key: "conv_in") public var convIn: Conv2d
    @Child(key: "time_embedding") public var timeEmbedding: TimestepEmbedding
    @Child(key: "down_blocks") public var downBlocks: [UNetDownBlock]
    @Child(key: "up_blocks") public var upBlocks: [UNetUpBlock]
    @Child(key: "mid_block") public var midBlock: UNetMidBlock2DCrossAttn
    @Child(key: "conv_norm_out") public var convNormOut: GroupNorm
    @Child(key: "conv_out") public var convOut: Conv2d

    /// Gradient checkpointing (diffusers' `enable_gradient_checkpointing`): with grad
    /// mode on, each ResNet block, transformer and upsampler of the down, mid and up
    /// blocks keeps only its inputs, and the backward recomputes its activations
    /// (`Torch.checkpointed`): less memory for one more forward pass of those layers,
    /// bitwise the same gradients. No effect with grad mode off (sampling). Default
    /// false; DDPO's policy update sets it from `train.gradient_checkpointing` while it runs.
    public var gradientCheckpointing = false

    /// Builds the model with the current `withParameterInitialization` scope (random
    /// values by default; `load(directory:)` builds it uninitialised and fills it).
    /// Throws `UnsupportedConfigurationError` for configurations we cannot build.
    public init(configuration: UNet2DConditionConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        super.init()
        let c = configuration
        let channels = c.blockOutChannels
        let blockCount = channels.count
        let timeWidth = c.timeEmbeddingWidth
        let groups = c.normNumGroups
        let heads = c.headCounts
        let layers = c.layerCounts
        let transformerLayers = c.transformerLayerCounts
        let crossDimensions = c.crossAttentionDimensions
        func attentionSettings(_ index: Int) -> CrossAttentionSettings {
            CrossAttentionSettings(
                heads: heads[index], layerCount: transformerLayers[index],
                crossAttentionDimension: crossDimensions[index],
                useLinearProjection: c.useLinearProjection, upcastAttention: c.upcastAttention)
        }

        convIn = Conv2d(c.inChannels, channels[0], kernelSize: c.convInKernel, padding: (c.convInKernel - 1) / 2)
        timeEmbedding = TimestepEmbedding(inputChannels: channels[0], embeddingDimension: timeWidth)

        var down: [UNetDownBlock] = []
        for index in 0..<blockCount {
            let hasAttention = c.downBlockTypes[index] == "CrossAttnDownBlock2D"
            down.append(
                UNetDownBlock(
                    inChannels: channels[max(index - 1, 0)], outChannels: channels[index],
                    timeEmbeddingChannels: timeWidth,
                    layerCount: layers[index], groups: groups, eps: c.normEps, dropout: c.dropout,
                    addDownsample: index < blockCount - 1, downsamplePadding: c.downsamplePadding,
                    transformer: hasAttention ? attentionSettings(index) : nil))
        }
        downBlocks = down

        midBlock = UNetMidBlock2DCrossAttn(
            channels: channels[blockCount - 1], timeEmbeddingChannels: timeWidth, groups: groups, eps: c.normEps,
            dropout: c.dropout, outputScaleFactor: c.midBlockScaleFactor,
            transformer: attentionSettings(blockCount - 1))

        // Up block j mirrors down block (blockCount - 1 - j) and has one layer more, whose
        // skip connection comes from the next-lower down block's downsampler.
        var up: [UNetUpBlock] = []
        for position in 0..<blockCount {
            let mirror = blockCount - 1 - position
            let previousOutput = channels[min(mirror + 1, blockCount - 1)]
            let output = channels[mirror]
            let nextInput = channels[max(mirror - 1, 0)]
            let layerCount = layers[mirror] + 1
            let skipChannels = (0..<layerCount).map { $0 == layerCount - 1 ? nextInput : output }
            let hasAttention = c.upBlockTypes[position] == "CrossAttnUpBlock2D"
            up.append(
                UNetUpBlock(
                    previousOutputChannels: previousOutput, skipChannels: skipChannels, outChannels: output,
                    timeEmbeddingChannels: timeWidth, groups: groups, eps: c.normEps, dropout: c.dropout,
                    addUpsample: position < blockCount - 1, transformer: hasAttention ? attentionSettings(mirror) : nil)
            )
        }
        upBlocks = up

        convNormOut = GroupNorm(groupCount: groups, channelCount: channels[0], eps: c.normEps)
        convOut = Conv2d(channels[0], c.outChannels, kernelSize: c.convOutKernel, padding: (c.convOutKernel - 1) / 2)
    }

    /// The model output (noise or v, as trained) for `sample`.
    ///
    /// - Parameters:
    ///   - sample: noisy latents [B, in_channels, H, W] in the parameters' dtype.
    ///   - timesteps: int64 or floating-point, one per sample [B] (DDPO trains on
    ///     samples at different steps), or one for all as [1] or 0-dim.
    ///   - encoderHiddenStates: text encoder states [B, S, cross_attention_dim], in the
    ///     parameters' dtype.
    /// - Returns: [B, out_channels, H, W].
    public func callAsFunction(_ sample: Tensor, timesteps: Tensor, encoderHiddenStates: Tensor) -> Tensor {
        precondition(sample.rank == 4, "UNet2DConditionModel: sample must be [B, C, H, W], got \(sample.shape)")
        let batch = sample.size(0)
        let input = configuration.centerInputSample ? sample * 2.0 - 1.0 : sample

        // The sinusoidal projection is float32 whatever the model's dtype; diffusers then
        // casts it to the sample's dtype before the MLP.
        let projected = sinusoidalTimestepEmbedding(
            Self.timestepsPerSample(timesteps, batch: batch, device: sample.device),
            dimension: configuration.blockOutChannels[0], flipSinToCos: configuration.flipSinToCos,
            downscaleFrequencyShift: configuration.freqShift)
        let embedding = timeEmbedding(projected.to(dtype: sample.dtype))

        var x = convIn(input)
        var skips = [x]
        for block in downBlocks {
            let result = block(
                x, timeEmbedding: embedding, encoderHiddenStates: encoderHiddenStates,
                gradientCheckpointing: gradientCheckpointing)
            x = result.output
            skips += result.skips
        }
        x = midBlock(
            x, timeEmbedding: embedding, encoderHiddenStates: encoderHiddenStates,
            gradientCheckpointing: gradientCheckpointing)
        for block in upBlocks {
            let count = block.resnets.count
            let blockSkips = Array(skips.suffix(count))
            skips.removeLast(count)
            // Upsample to the size of the skip connection the next block starts with, so
            // sides not divisible by the total downsampling factor still line up.
            let upsampleSize = skips.last.map { (height: $0.size(2), width: $0.size(3)) }
            x = block(
                x, skips: blockSkips, timeEmbedding: embedding, encoderHiddenStates: encoderHiddenStates,
                upsampleSize: block.upsamplers == nil ? nil : upsampleSize,
                gradientCheckpointing: gradientCheckpointing)
        }
        return convOut(convNormOut(x).silu())
    }

    /// [B] timesteps on `device` from [B], [1] or 0-dim input; traps on other shapes.
    static func timestepsPerSample(_ timesteps: Tensor, batch: Int, device: Device) -> Tensor {
        let flat = timesteps.rank == 0 ? timesteps.reshaped([1]) : timesteps
        precondition(
            flat.rank == 1 && (flat.size(0) == batch || flat.size(0) == 1),
            "UNet2DConditionModel: timesteps must be [\(batch)], [1] or a scalar, got \(timesteps.shape)")
        return flat.to(device: device).expanded(to: [batch])
    }
}
