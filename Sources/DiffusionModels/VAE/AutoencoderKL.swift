import Foundation
import Torch
import TorchNN

/// diffusers' `AutoencoderKL`, Stable Diffusion's VAE: images in [-1, 1] to a latent
/// Gaussian and latents back to images.
///
/// Scaling convention (as diffusers): the UNet works on `sample · scalingFactor`; to get
/// an image back, divide first: `decode(latents / scalingFactor)`, which
/// `decodeScaled(_:)` does for you.
public final class AutoencoderKL: Module {
    public let configuration: AutoencoderKLConfiguration

    @Child public var encoder: VAEEncoder
    @Child public var decoder: VAEDecoder
    /// 1×1 convolutions around the latent space (absent when the config turns them off).
    @Child(key: "quant_conv") public var quantConv: Conv2d?
    @Child(key: "post_quant_conv") public var postQuantConv: Conv2d?

    /// Builds the model with the current `withParameterInitialization` scope.
    /// Throws `UnsupportedConfigurationError` for configurations we cannot build.
    public init(configuration: AutoencoderKLConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        super.init()
        encoder = VAEEncoder(configuration: configuration)
        decoder = VAEDecoder(configuration: configuration)
        let latent = configuration.latentChannels
        if configuration.useQuantConv {
            quantConv = Conv2d(2 * latent, 2 * latent, kernelSize: 1)
        }
        if configuration.usePostQuantConv {
            postQuantConv = Conv2d(latent, latent, kernelSize: 1)
        }
    }

    /// The latent distribution of `images` [B, in_channels, H, W] in [-1, 1]
    /// (H and W divisible by 2^(blocks - 1)). Multiply a sample by `scalingFactor`
    /// before giving it to the UNet.
    public func encode(_ images: Tensor) -> DiagonalGaussian {
        var moments = encoder(images)
        if let quantConv { moments = quantConv(moments) }
        return DiagonalGaussian(parameters: moments)
    }

    /// Images [B, out_channels, H, W] (about [-1, 1]) from UNSCALED latents: divide the
    /// UNet's latents by `configuration.scalingFactor` first, or use `decodeScaled`.
    public func decode(_ latents: Tensor) -> Tensor {
        let z = postQuantConv.map { $0(latents) } ?? latents
        return decoder(z)
    }

    /// Images from latents in the UNet's scale: decode(latents / scaling_factor
    /// + shift_factor), the shift only when the config has one.
    public func decodeScaled(_ latents: Tensor) -> Tensor {
        var unscaled = latents / configuration.scalingFactor
        if let shift = configuration.shiftFactor { unscaled = unscaled + shift }
        return decode(unscaled)
    }

    /// Loads a diffusers `vae/` folder (config.json and
    /// `diffusion_pytorch_model[.variant].safetensors`), accepting both attention naming
    /// schemes (see `convertingLegacyVAEAttentionNames`). Otherwise as
    /// `UNet2DConditionModel.load`: strict, converted to `dtype` on `device`, no pickles,
    /// returned in evaluation mode.
    public static func load(
        directory: URL, dtype: DType = .float32, variant: String? = nil,
        device: Device = .cpu
    ) throws -> AutoencoderKL {
        let configuration = try DiffusersModelFolder.configuration(AutoencoderKLConfiguration.self, in: directory)
        let weights = try DiffusersModelFolder.weights(in: directory, variant: variant, modelClass: "AutoencoderKL")
        let model = try withParameterInitialization(.uninitialized, dtype: dtype, device: device) {
            try AutoencoderKL(configuration: configuration)
        }
        try DiffusersModelFolder.load(
            model, from: convertingLegacyVAEAttentionNames(weights.tensors),
            path: weights.path)
        model.eval()
        return model
    }
}
