/// The fields of diffusers' `vae/config.json` (AutoencoderKL). Unknown keys are
/// ignored, absent ones take diffusers' defaults; required: `block_out_channels`,
/// `down_block_types`, `up_block_types`.
public struct AutoencoderKLConfiguration: Codable, Equatable {
    public var inChannels: Int = 3
    public var outChannels: Int = 3
    /// Each "DownEncoderBlock2D".
    public var downBlockTypes: [String]
    /// Each "UpDecoderBlock2D".
    public var upBlockTypes: [String]
    public var blockOutChannels: [Int]
    public var layersPerBlock: Int = 1
    /// "silu" (or its alias "swish").
    public var actFn: String = "silu"
    public var latentChannels: Int = 4
    public var normNumGroups: Int = 32
    /// Latents the UNet sees are `encode(x).sample() * scalingFactor`; decode takes them
    /// back with `decode(latents / scalingFactor)` (see `AutoencoderKL.decodeScaled`).
    public var scalingFactor: Double = 0.18215
    /// Shift of SD3-style latents (z = (x - shift) · scale); null for SD 1.x/2.x.
    public var shiftFactor: Double?
    /// Per-channel latent statistics some pipelines use; stored, not used by the model.
    public var latentsMean: [Double]?
    public var latentsStd: [Double]?
    /// diffusers' pipelines run this VAE in float32 even in a float16 pipeline (the
    /// model itself does not act on it).
    public var forceUpcast: Bool = true
    public var useQuantConv: Bool = true
    public var usePostQuantConv: Bool = true
    public var midBlockAddAttention: Bool = true

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case downBlockTypes = "down_block_types"
        case upBlockTypes = "up_block_types"
        case blockOutChannels = "block_out_channels"
        case layersPerBlock = "layers_per_block"
        case actFn = "act_fn"
        case latentChannels = "latent_channels"
        case normNumGroups = "norm_num_groups"
        case scalingFactor = "scaling_factor"
        case shiftFactor = "shift_factor"
        case latentsMean = "latents_mean"
        case latentsStd = "latents_std"
        case forceUpcast = "force_upcast"
        case useQuantConv = "use_quant_conv"
        case usePostQuantConv = "use_post_quant_conv"
        case midBlockAddAttention = "mid_block_add_attention"
    }

    /// A configuration with the required fields; set the others as needed.
    public init(blockOutChannels: [Int], downBlockTypes: [String], upBlockTypes: [String]) {
        self.blockOutChannels = blockOutChannels
        self.downBlockTypes = downBlockTypes
        self.upBlockTypes = upBlockTypes
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        blockOutChannels = try c.decode([Int].self, forKey: .blockOutChannels)
        downBlockTypes = try c.decode([String].self, forKey: .downBlockTypes)
        upBlockTypes = try c.decode([String].self, forKey: .upBlockTypes)
        func optional<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        inChannels = try optional(.inChannels, inChannels)
        outChannels = try optional(.outChannels, outChannels)
        layersPerBlock = try optional(.layersPerBlock, layersPerBlock)
        actFn = try optional(.actFn, actFn)
        latentChannels = try optional(.latentChannels, latentChannels)
        normNumGroups = try optional(.normNumGroups, normNumGroups)
        scalingFactor = try optional(.scalingFactor, scalingFactor)
        shiftFactor = try c.decodeIfPresent(Double.self, forKey: .shiftFactor)
        latentsMean = try c.decodeIfPresent([Double].self, forKey: .latentsMean)
        latentsStd = try c.decodeIfPresent([Double].self, forKey: .latentsStd)
        forceUpcast = try optional(.forceUpcast, forceUpcast)
        useQuantConv = try optional(.useQuantConv, useQuantConv)
        usePostQuantConv = try optional(.usePostQuantConv, usePostQuantConv)
        midBlockAddAttention = try optional(.midBlockAddAttention, midBlockAddAttention)
        try validate()
    }

    /// Checks that the model can be built.
    public func validate() throws {
        func fail(_ field: String, _ message: String) -> UnsupportedConfigurationError {
            UnsupportedConfigurationError(field: field, message: message)
        }
        try validateBlockLayout(
            blockOutChannels: blockOutChannels, downBlockTypes: downBlockTypes,
            upBlockTypes: upBlockTypes)
        for type in downBlockTypes where type != "DownEncoderBlock2D" {
            throw fail("down_block_types", "\"\(type)\" is not supported (only \"DownEncoderBlock2D\")")
        }
        for type in upBlockTypes where type != "UpDecoderBlock2D" {
            throw fail("up_block_types", "\"\(type)\" is not supported (only \"UpDecoderBlock2D\")")
        }
        guard actFn == "silu" || actFn == "swish" else {
            throw fail("act_fn", "\"\(actFn)\" is not supported (only \"silu\")")
        }
        guard layersPerBlock >= 1 else { throw fail("layers_per_block", "must be at least 1") }
        guard inChannels > 0, outChannels > 0, latentChannels > 0 else {
            throw fail("in_channels", "in_channels, out_channels and latent_channels must be positive")
        }
        guard normNumGroups > 0, blockOutChannels.allSatisfy({ $0 % normNumGroups == 0 }) else {
            throw fail(
                "norm_num_groups", "\(normNumGroups) groups do not divide block_out_channels \(blockOutChannels)")
        }
        guard scalingFactor != 0 && scalingFactor.isFinite else {
            throw fail("scaling_factor", "must be a finite number other than 0, got \(scalingFactor)")
        }
        if let shiftFactor, !shiftFactor.isFinite {
            throw fail("shift_factor", "must be a finite number or null, got \(shiftFactor)")
        }
        // Last: the sizes, with what they would cost, before anything is allocated.
        try validateSizes()
    }
}
