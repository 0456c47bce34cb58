import DiffusionModels
import Files
import Foundation
import Torch

/// Writes a Stable Diffusion 1.x pipeline folder as diffusers saves one, so
/// `StableDiffusion.load` and diffusers' `StableDiffusionPipeline.from_pretrained`
/// both read it. Written with `AtomicFolder`, so a crash never leaves a half-written
/// model behind.
public enum DiffusersFolderWriter {
    public struct Components {
        public var tokenizer: WordTokenizerFolder
        public var textEncoder: CLIPTextConfiguration
        public var textEncoderWeights: [String: Tensor]
        public var unet: UNet2DConditionConfiguration
        public var unetWeights: [String: Tensor]
        public var vae: AutoencoderKLConfiguration
        public var vaeWeights: [String: Tensor]

        public init(
            tokenizer: WordTokenizerFolder, textEncoder: CLIPTextConfiguration,
            textEncoderWeights: [String: Tensor], unet: UNet2DConditionConfiguration,
            unetWeights: [String: Tensor], vae: AutoencoderKLConfiguration, vaeWeights: [String: Tensor]
        ) {
            self.tokenizer = tokenizer
            self.textEncoder = textEncoder
            self.textEncoderWeights = textEncoderWeights
            self.unet = unet
            self.unetWeights = unetWeights
            self.vae = vae
            self.vaeWeights = vaeWeights
        }
    }

    static let diffusersVersion = "0.30.0"

    public static func write(_ c: Components, to directory: URL) throws {
        let fm = FileManager.default
        try AtomicFolder.write(to: directory) { temporary in
            let folder = { (name: String) -> URL in
                let url = temporary.appendingPathComponent(name)
                try? fm.createDirectory(at: url, withIntermediateDirectories: true)
                return url
            }

            try JSONFile.write(modelIndex(), to: temporary.appendingPathComponent("model_index.json"))
            try c.tokenizer.write(to: folder("tokenizer"))
            try JSONFile.write(
                schedulerConfig(), to: folder("scheduler").appendingPathComponent("scheduler_config.json"))
            try JSONFile.write(
                textEncoderConfig(c.textEncoder, tokenizer: c.tokenizer),
                to: folder("text_encoder").appendingPathComponent("config.json"))
            try Safetensors.save(
                c.textEncoderWeights, to: folder("text_encoder").appendingPathComponent("model.safetensors"),
                metadata: ["format": "pt"])
            try JSONFile.write(unetConfig(c.unet), to: folder("unet").appendingPathComponent("config.json"))
            try Safetensors.save(
                c.unetWeights, to: folder("unet").appendingPathComponent("diffusion_pytorch_model.safetensors"),
                metadata: ["format": "pt"])
            try JSONFile.write(vaeConfig(c.vae), to: folder("vae").appendingPathComponent("config.json"))
            try Safetensors.save(
                c.vaeWeights, to: folder("vae").appendingPathComponent("diffusion_pytorch_model.safetensors"),
                metadata: ["format": "pt"])
        }
    }

    static func modelIndex() -> [String: Any] {
        [
            "_class_name": "StableDiffusionPipeline", "_diffusers_version": diffusersVersion,
            "feature_extractor": [NSNull(), NSNull()], "image_encoder": [NSNull(), NSNull()],
            "safety_checker": [NSNull(), NSNull()], "requires_safety_checker": false,
            "scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
            "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
            "vae": ["diffusers", "AutoencoderKL"]
        ]
    }

    /// Stable Diffusion 1.x's DDIM settings (scaled_linear 0.00085 → 0.012, epsilon).
    static func schedulerConfig() -> [String: Any] {
        [
            "_class_name": "DDIMScheduler", "_diffusers_version": diffusersVersion,
            "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "clip_sample": false,
            "clip_sample_range": 1.0, "num_train_timesteps": 1000, "prediction_type": "epsilon",
            "set_alpha_to_one": false, "steps_offset": 1, "thresholding": false, "timestep_spacing": "leading",
            "trained_betas": NSNull(), "rescale_betas_zero_snr": false, "dynamic_thresholding_ratio": 0.995,
            "sample_max_value": 1.0
        ]
    }

    static func textEncoderConfig(_ c: CLIPTextConfiguration, tokenizer: WordTokenizerFolder) -> [String: Any] {
        let start = tokenizer.vocabulary[WordTokenizerFolder.startToken]!
        let end = tokenizer.vocabulary[WordTokenizerFolder.endToken]!
        return [
            "architectures": ["CLIPTextModel"], "model_type": "clip_text_model", "torch_dtype": "float32",
            "attention_dropout": 0.0, "bos_token_id": start, "eos_token_id": end, "pad_token_id": end,
            "hidden_act": c.activation.rawValue, "hidden_size": c.hiddenSize, "initializer_factor": 1.0,
            "initializer_range": 0.02, "intermediate_size": c.intermediateSize, "layer_norm_eps": c.layerNormEpsilon,
            "max_position_embeddings": c.maxPositionEmbeddings, "num_attention_heads": c.attentionHeadCount,
            "num_hidden_layers": c.layerCount, "projection_dim": c.projectionDimension ?? c.hiddenSize,
            "vocab_size": c.vocabularySize
        ]
    }

    static func unetConfig(_ c: UNet2DConditionConfiguration) -> [String: Any] {
        func value(_ v: PerBlockValue<Int>) -> Any {
            switch v {
            case .same(let x): return x
            case .perBlock(let xs): return xs
            }
        }
        return [
            "_class_name": "UNet2DConditionModel", "_diffusers_version": diffusersVersion,
            "act_fn": c.actFn, "attention_head_dim": value(c.attentionHeadDim),
            "block_out_channels": c.blockOutChannels,
            "center_input_sample": c.centerInputSample, "cross_attention_dim": value(c.crossAttentionDim),
            "down_block_types": c.downBlockTypes, "downsample_padding": c.downsamplePadding, "dropout": c.dropout,
            "flip_sin_to_cos": c.flipSinToCos, "freq_shift": c.freqShift, "in_channels": c.inChannels,
            "layers_per_block": value(c.layersPerBlock), "mid_block_scale_factor": c.midBlockScaleFactor,
            "mid_block_type": c.midBlockType ?? NSNull(), "norm_eps": c.normEps, "norm_num_groups": c.normNumGroups,
            "out_channels": c.outChannels, "sample_size": c.sampleSize,
            "transformer_layers_per_block": value(c.transformerLayersPerBlock), "up_block_types": c.upBlockTypes,
            "upcast_attention": c.upcastAttention, "use_linear_projection": c.useLinearProjection,
            "conv_in_kernel": c.convInKernel, "conv_out_kernel": c.convOutKernel
        ]
    }

    static func vaeConfig(_ c: AutoencoderKLConfiguration) -> [String: Any] {
        [
            "_class_name": "AutoencoderKL", "_diffusers_version": diffusersVersion, "act_fn": c.actFn,
            "block_out_channels": c.blockOutChannels, "down_block_types": c.downBlockTypes,
            "force_upcast": c.forceUpcast,
            "in_channels": c.inChannels, "latent_channels": c.latentChannels, "layers_per_block": c.layersPerBlock,
            "mid_block_add_attention": c.midBlockAddAttention, "norm_num_groups": c.normNumGroups,
            "out_channels": c.outChannels, "sample_size": 64, "scaling_factor": c.scalingFactor,
            "up_block_types": c.upBlockTypes, "use_post_quant_conv": c.usePostQuantConv,
            "use_quant_conv": c.useQuantConv
        ]
    }
}
