import Files
import Foundation
import Schedulers
import Torch
import TorchNN

/// A loaded Stable Diffusion 1.x/2.x pipeline folder (diffusers layout): the
/// tokenizer, the text encoder, the UNet, the VAE and the noise schedule, on one
/// device in one dtype.
public final class StableDiffusion {
    public let tokenizer: CLIPTokenizer
    public let textEncoder: CLIPTextModel
    public let unet: UNet2DConditionModel
    public let vae: AutoencoderKL
    public let scheduler: DDIMScheduler
    public let device: Device
    public let dtype: DType
    public let directory: URL

    public init(
        tokenizer: CLIPTokenizer, textEncoder: CLIPTextModel, unet: UNet2DConditionModel,
        vae: AutoencoderKL, scheduler: DDIMScheduler, device: Device, dtype: DType, directory: URL
    ) {
        self.tokenizer = tokenizer
        self.textEncoder = textEncoder
        self.unet = unet
        self.vae = vae
        self.scheduler = scheduler
        self.device = device
        self.dtype = dtype
        self.directory = directory
    }

    /// Loads every component of `directory` (model_index.json, one folder per
    /// component). `variant` picks e.g. `*.fp16.safetensors` weights; the weights are
    /// converted to `dtype` either way. Models are put in evaluation mode.
    public static func load(
        directory: URL, dtype: DType = .float32, device: Device = .cpu,
        variant: String? = nil
    ) throws -> StableDiffusion {
        _ = try ModelIndex.load(directory: directory)
        let folder = { (name: String) in directory.appendingPathComponent(name) }
        let tokenizer = try CLIPTokenizer(directory: folder("tokenizer"))
        let schedulerConfiguration = try SchedulerConfiguration.load(
            from: folder("scheduler").appendingPathComponent("scheduler_config.json"))
        try checkComponentsFit(directory: directory, tokenizer: tokenizer)
        let textEncoder = try CLIPTextModel.load(directory: folder("text_encoder"), dtype: dtype, variant: variant)
        textEncoder.to(device: device)
        let unet = try UNet2DConditionModel.load(
            directory: folder("unet"), dtype: dtype, variant: variant, device: device)
        let vae = try AutoencoderKL.load(directory: folder("vae"), dtype: dtype, variant: variant, device: device)
        for model in [textEncoder, unet, vae] as [Module] {
            model.eval()
        }
        return StableDiffusion(
            tokenizer: tokenizer, textEncoder: textEncoder, unet: unet, vae: vae,
            scheduler: DDIMScheduler(configuration: schedulerConfiguration), device: device,
            dtype: dtype, directory: directory)
    }

    /// The components' config.json files against each other, before any weights are
    /// read: each is valid alone, but a pipeline whose parts disagree would trap
    /// inside a matrix product or an embedding lookup at the first prompt.
    static func checkComponentsFit(directory: URL, tokenizer: CLIPTokenizer) throws {
        let folder = { (name: String) in directory.appendingPathComponent(name) }
        let textURL = folder("text_encoder").appendingPathComponent("config.json")
        let text = try CLIPTextConfiguration.load(from: textURL)
        let unet = try DiffusersModelFolder.configuration(UNet2DConditionConfiguration.self, in: folder("unet"))
        let vae = try DiffusersModelFolder.configuration(AutoencoderKLConfiguration.self, in: folder("vae"))
        let largestID =
            ([tokenizer.startTokenID, tokenizer.endTokenID, tokenizer.paddingTokenID] + tokenizer.vocabulary.values)
            .max() ?? 0
        if largestID >= text.vocabularySize {
            throw ConfigurationFileError(
                path: textURL.path,
                message:
                    "field 'vocab_size': \(text.vocabularySize) is too small for the tokenizer's token id \(largestID)")
        }
        if tokenizer.maxLength > text.maxPositionEmbeddings {
            throw ConfigurationFileError(
                path: textURL.path,
                message:
                    "field 'max_position_embeddings': \(text.maxPositionEmbeddings) is shorter than the tokenizer's "
                    + "\(tokenizer.maxLength) tokens")
        }
        let unetURL = folder("unet").appendingPathComponent("config.json")
        let count = unet.blockOutChannels.count
        if let width = unet.crossAttentionDim.values(blockCount: count)?.first(where: { $0 != text.hiddenSize }) {
            throw ConfigurationFileError(
                path: unetURL.path,
                message:
                    "field 'cross_attention_dim': \(width) does not match the text encoder's hidden_size "
                    + "\(text.hiddenSize)"
            )
        }
        if unet.inChannels != vae.latentChannels {
            throw ConfigurationFileError(
                path: unetURL.path,
                message:
                    "field 'in_channels': \(unet.inChannels) does not match the VAE's latent_channels "
                    + "\(vae.latentChannels)"
            )
        }
        if unet.outChannels != unet.inChannels {
            throw ConfigurationFileError(
                path: unetURL.path,
                message:
                    "field 'out_channels': \(unet.outChannels) must equal in_channels \(unet.inChannels) for sampling")
        }
    }

    /// The text encoder's last hidden state for each prompt, [B, 77, hidden].
    public func encode(prompts: [String]) -> Tensor {
        withNoGrad { textEncoder(tokenizer(prompts).to(device: device)) }
    }

    /// Latent channels of the UNet's input.
    public var latentChannels: Int { unet.configuration.inChannels }

    /// How many pixels one latent cell covers along each side (8 for SD).
    public var vaeScaleFactor: Int { 1 << (vae.configuration.blockOutChannels.count - 1) }

    /// The image side the model was trained at (diffusers' default height/width).
    public var defaultImageSize: Int { unet.configuration.sampleSize * vaeScaleFactor }

    /// Decodes latents to images in [0, 1], [B, 3, H, W] (float32).
    public func decode(latents: Tensor) -> Tensor {
        withNoGrad {
            let decoded = vae.decode(latents / vae.configuration.scalingFactor)
            return (decoded.to(dtype: .float32) / 2.0 + 0.5).clamped(min: 0, max: 1)
        }
    }
}
