import Foundation

/// Upper bounds on the shape fields of the model configurations, checked when a
/// config.json is decoded, before anything is allocated: a typo such as
/// `"layers_per_block": 1000000000` or `"sample_size": 100000` is refused with the
/// memory it would need, instead of growing memory until the process is killed.
///
/// The bounds are far above every published Stable Diffusion model (SD 1.5's UNet
/// has 0.86 G parameters, SDXL's 2.6 G; their latent side is 64 or 128).
public enum ModelSizeLimits {
    /// The most parameters one model (UNet, VAE or text encoder) may have.
    public static let maximumParameters = 20e9
    /// The largest channel count, hidden or embedding width of any layer.
    public static let maximumWidth = 65_536
    /// The most layers per block (or transformer layers, or text-encoder layers).
    public static let maximumLayers = 1_000
    /// The most UNet or VAE blocks (each halves the resolution; SD has 4).
    public static let maximumBlocks = 8
    /// The largest latent side (`sample_size`): SD 1.x is 64, SDXL 128.
    public static let maximumLatentSide = 1_024
    /// The most input or output channels of a UNet or VAE (latents have 4 to 16).
    public static let maximumChannels = 1_024
    /// The largest text-encoder vocabulary.
    public static let maximumVocabulary = 1 << 20
    /// The longest text-encoder position table (77 in Stable Diffusion).
    public static let maximumPositions = 65_536

    /// "2.4 G parameters (9.0 GiB as float32)".
    static func describe(parameters: Double) -> String {
        let gib = parameters * 4 / Double(1 << 30)
        return String(format: "%.3g G parameters (%.3g GiB as float32)", parameters / 1e9, gib)
    }

    /// "3.2 GiB" for a float32 tensor of `elements` elements.
    static func describe(float32Elements elements: Double) -> String {
        String(format: "%.3g GiB", elements * 4 / Double(1 << 30))
    }

    /// Throws naming `field` when `value` is outside `range`, with `context` (what the
    /// value would cost) appended.
    static func check(
        _ value: Int, in range: ClosedRange<Int>, field: String, _ context: @autoclosure () -> String = ""
    ) throws {
        guard range.contains(value) else {
            let extra = context()
            throw UnsupportedConfigurationError(
                field: field,
                message: "must be in \(range.lowerBound)...\(range.upperBound), got \(value)"
                    + (extra.isEmpty ? "" : " (\(extra))"))
        }
    }

    /// Parameters of a k×k convolution (with bias).
    static func conv(_ input: Double, _ output: Double, kernel: Double = 3) -> Double {
        input * output * kernel * kernel + output
    }

    /// Parameters of a linear layer (with bias).
    static func linear(_ input: Double, _ output: Double) -> Double { input * output + output }

    /// Parameters of a ResNet block (GroupNorms, two 3×3 convolutions, the time
    /// projection, the 1×1 shortcut when the widths differ).
    static func resnet(_ input: Double, _ output: Double, timeEmbedding: Double?) -> Double {
        2 * input + conv(input, output) + 2 * output + conv(output, output)
            + (timeEmbedding.map { linear($0, output) } ?? 0) + (input != output ? conv(input, output, kernel: 1) : 0)
    }
}

extension UNet2DConditionConfiguration {
    /// The parameter count of the UNet this configuration builds, from its fields
    /// alone (in Double, so absurd values cannot overflow). Assumes `validate()`'s
    /// list-length checks passed.
    public var estimatedParameterCount: Double {
        let count = blockOutChannels.count
        let channels = blockOutChannels.map(Double.init)
        let layers = (layersPerBlock.values(blockCount: count) ?? []).map(Double.init)
        let transformerLayers = (transformerLayersPerBlock.values(blockCount: count) ?? []).map(Double.init)
        let cross = (crossAttentionDim.values(blockCount: count) ?? []).map(Double.init)
        guard count > 0, layers.count == count, transformerLayers.count == count, cross.count == count else {
            return 0
        }
        let time = Double(timeEmbeddingDim ?? 4 * max(blockOutChannels[0], 0))
        typealias L = ModelSizeLimits
        func transformer(_ c: Double, _ index: Int) -> Double {
            let d = cross[index]
            let block =
                6 * c + (3 * c * c + L.linear(c, c)) + (c * c + 2 * c * d + L.linear(c, c))
                + L.linear(c, 8 * c) + L.linear(4 * c, c)
            return 2 * c + 2 * L.linear(c, c) + transformerLayers[index] * block
        }
        var total = L.conv(Double(inChannels), channels[0], kernel: Double(convInKernel))
        total += L.linear(channels[0], time) + L.linear(time, time)
        for index in 0..<count {
            let output = channels[index]
            let input = channels[max(index - 1, 0)]
            let attention = downBlockTypes[index] == "CrossAttnDownBlock2D"
            total +=
                L.resnet(input, output, timeEmbedding: time) + (layers[index] - 1)
                * L.resnet(output, output, timeEmbedding: time)
            if attention { total += layers[index] * transformer(output, index) }
            if index < count - 1 { total += L.conv(output, output) }
        }
        let last = channels[count - 1]
        total += 2 * L.resnet(last, last, timeEmbedding: time) + transformer(last, count - 1)
        for position in 0..<count {
            let mirror = count - 1 - position
            let previous = channels[min(mirror + 1, count - 1)]
            let output = channels[mirror]
            let next = channels[max(mirror - 1, 0)]
            let layerCount = layers[mirror] + 1
            // The first ResNet takes the previous block's output, the last the next skip.
            total += L.resnet(previous + output, output, timeEmbedding: time)
            total += max(layerCount - 2, 0) * L.resnet(2 * output, output, timeEmbedding: time)
            total += L.resnet(output + next, output, timeEmbedding: time)
            if upBlockTypes[position] == "CrossAttnUpBlock2D" { total += layerCount * transformer(output, mirror) }
            if position < count - 1 { total += L.conv(output, output) }
        }
        total += 2 * channels[0] + L.conv(channels[0], Double(outChannels), kernel: Double(convOutKernel))
        return total
    }

    /// The size bounds (`ModelSizeLimits`): every shape field positive and below its
    /// bound, then the whole UNet below `ModelSizeLimits.maximumParameters`.
    func validateSizes() throws {
        typealias L = ModelSizeLimits
        let size = { L.describe(parameters: self.estimatedParameterCount) }
        try L.check(blockOutChannels.count, in: 1...L.maximumBlocks, field: "block_out_channels", "number of blocks")
        for width in blockOutChannels {
            try L.check(width, in: 1...L.maximumWidth, field: "block_out_channels", "each block's channels")
        }
        let side = Double(sampleSize)
        let activation = Double(max(blockOutChannels[0], 1)) * side * side
        try L.check(
            sampleSize, in: 1...L.maximumLatentSide, field: "sample_size",
            sampleSize > 0
                ? "the latent side; one image's first-block activation alone would take "
                    + L.describe(float32Elements: activation)
                : "the latent side, the image size divided by the VAE's scale factor")
        try L.check(inChannels, in: 1...L.maximumChannels, field: "in_channels")
        try L.check(outChannels, in: 1...L.maximumChannels, field: "out_channels")
        let count = blockOutChannels.count
        for (value, field) in [
            (layersPerBlock, "layers_per_block"), (transformerLayersPerBlock, "transformer_layers_per_block")
        ] {
            for layers in value.values(blockCount: count) ?? [] {
                try L.check(layers, in: 1...L.maximumLayers, field: field, "a UNet of about \(size())")
            }
        }
        for dimension in crossAttentionDim.values(blockCount: count) ?? [] {
            try L.check(dimension, in: 1...L.maximumWidth, field: "cross_attention_dim")
        }
        if let timeEmbeddingDim {
            try L.check(timeEmbeddingDim, in: 1...L.maximumWidth, field: "time_embedding_dim")
        }
        for (field, kernel) in [("conv_in_kernel", convInKernel), ("conv_out_kernel", convOutKernel)] {
            try L.check(kernel, in: 1...15, field: field)
        }
        try L.check(downsamplePadding, in: 0...15, field: "downsample_padding")
        let parameters = estimatedParameterCount
        guard parameters <= L.maximumParameters else {
            throw UnsupportedConfigurationError(
                field: "block_out_channels",
                message:
                    "block_out_channels \(blockOutChannels), layers_per_block \(layersPerBlock), "
                    + "transformer_layers_per_block \(transformerLayersPerBlock) and cross_attention_dim "
                    + "\(crossAttentionDim) give a UNet of about \(L.describe(parameters: parameters)), "
                    + "above the limit of \(L.describe(parameters: L.maximumParameters))")
        }
    }
}

extension AutoencoderKLConfiguration {
    /// The parameter count of the VAE this configuration builds, from its fields alone.
    public var estimatedParameterCount: Double {
        typealias L = ModelSizeLimits
        let channels = blockOutChannels.map(Double.init)
        guard let first = channels.first, let last = channels.last else { return 0 }
        let layers = Double(layersPerBlock)
        let latent = Double(latentChannels)
        let mid =
            2 * L.resnet(last, last, timeEmbedding: nil)
            + (midBlockAddAttention ? 2 * last + 4 * L.linear(last, last) : 0)
        var encoder = L.conv(Double(inChannels), first) + mid + 2 * last + L.conv(last, 2 * latent)
        var decoder = L.conv(latent, last) + mid + 2 * first + L.conv(first, Double(outChannels))
        for index in channels.indices {
            let output = channels[index]
            let input = channels[max(index - 1, 0)]
            let downsample = index < channels.count - 1 ? L.conv(output, output) : 0
            encoder +=
                L.resnet(input, output, timeEmbedding: nil)
                + (layers - 1) * L.resnet(output, output, timeEmbedding: nil) + downsample
            // The decoder mirrors it with one layer more per block.
            let mirror = channels[channels.count - 1 - index]
            let previous = channels[min(channels.count - index, channels.count - 1)]
            decoder +=
                L.resnet(previous, mirror, timeEmbedding: nil)
                + layers * L.resnet(mirror, mirror, timeEmbedding: nil)
                + (index < channels.count - 1 ? L.conv(mirror, mirror) : 0)
        }
        let quant =
            (useQuantConv ? L.conv(2 * latent, 2 * latent, kernel: 1) : 0)
            + (usePostQuantConv ? L.conv(latent, latent, kernel: 1) : 0)
        return encoder + decoder + quant
    }

    /// The size bounds (`ModelSizeLimits`), as for the UNet.
    func validateSizes() throws {
        typealias L = ModelSizeLimits
        try L.check(blockOutChannels.count, in: 1...L.maximumBlocks, field: "block_out_channels", "number of blocks")
        for width in blockOutChannels {
            try L.check(width, in: 1...L.maximumWidth, field: "block_out_channels", "each block's channels")
        }
        try L.check(inChannels, in: 1...L.maximumChannels, field: "in_channels")
        try L.check(outChannels, in: 1...L.maximumChannels, field: "out_channels")
        try L.check(latentChannels, in: 1...L.maximumChannels, field: "latent_channels")
        try L.check(
            layersPerBlock, in: 1...L.maximumLayers, field: "layers_per_block",
            "a VAE of about \(L.describe(parameters: estimatedParameterCount))")
        let parameters = estimatedParameterCount
        guard parameters <= L.maximumParameters else {
            throw UnsupportedConfigurationError(
                field: "block_out_channels",
                message:
                    "block_out_channels \(blockOutChannels) and layers_per_block \(layersPerBlock) give a VAE of about "
                    + "\(L.describe(parameters: parameters)), above the limit of "
                    + L.describe(parameters: L.maximumParameters))
        }
    }
}

extension CLIPTextConfiguration {
    /// The parameter count of the text encoder this configuration builds.
    public var estimatedParameterCount: Double {
        typealias L = ModelSizeLimits
        let h = Double(hiddenSize)
        let i = Double(intermediateSize)
        let layer = 4 * h + 4 * L.linear(h, h) + L.linear(h, i) + L.linear(i, h)
        return (Double(vocabularySize) + Double(maxPositionEmbeddings)) * h + Double(layerCount) * layer + 2 * h
    }
}
