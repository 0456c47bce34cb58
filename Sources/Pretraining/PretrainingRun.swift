import DiffusionModels
import Foundation
import Schedulers
import Torch

/// The whole recipe: tokenizer for the world's words, VAE, scaling factor, text
/// encoder + UNet, then one diffusers folder at `output`.
public struct PretrainingRun {
    public struct Settings: Equatable, Sendable {
        public var vae: VAEPretraining.Settings
        public var denoiser: DenoiserPretraining.Settings
        public init(vae: VAEPretraining.Settings = .init(), denoiser: DenoiserPretraining.Settings = .init()) {
            self.vae = vae
            self.denoiser = denoiser
        }
    }

    public enum Event {
        case vae(VAEPretraining.Progress)
        case scalingFactor(Double)
        case denoiser(DenoiserPretraining.Progress)
        case saved(URL)
    }

    public static func run(
        dataset: PretrainingDataset, settings: Settings, output: URL,
        progress: ((Event) -> Void)? = nil
    ) throws {
        // Module initialisation draws from libtorch's default generator.
        Runtime.manualSeed(settings.denoiser.seed)
        let tokenizerFolder = try WordTokenizerFolder(words: dataset.vocabulary)
        let tokenizer = try tokenizerFolder.tokenizer()

        var vaeConfiguration = TinyModelPresets.vae
        let vae = try AutoencoderKL(configuration: vaeConfiguration)
        VAEPretraining(vae: vae, settings: settings.vae).run(dataset: dataset) { progress?(.vae($0)) }
        vae.freeze()
        // A different stream from the training batches (seed + 1).
        let scale = LatentScaling.measure(
            vae: vae, dataset: dataset, seed: settings.vae.seed &+ 1,
            batchSize: settings.vae.batchSize)
        vaeConfiguration.scalingFactor = scale
        progress?(.scalingFactor(scale))

        let textConfiguration = TinyModelPresets.textEncoder(
            vocabularySize: tokenizerFolder.vocabulary.count,
            endTokenID: tokenizer.endTokenID)
        let textEncoder = CLIPTextModel(configuration: textConfiguration)
        let unetConfiguration = TinyModelPresets.unet(crossAttentionDim: textConfiguration.hiddenSize)
        let unet = try UNet2DConditionModel(configuration: unetConfiguration)
        let denoiser = DenoiserPretraining(
            tokenizer: tokenizer, textEncoder: textEncoder, unet: unet, vae: vae,
            schedule: NoiseSchedule(.stableDiffusion), latentScale: scale,
            settings: settings.denoiser)
        denoiser.run(dataset: dataset) { progress?(.denoiser($0)) }

        try DiffusersFolderWriter.write(
            .init(
                tokenizer: tokenizerFolder, textEncoder: textConfiguration,
                textEncoderWeights: denoiser.weights(of: "text_encoder"), unet: unetConfiguration,
                unetWeights: denoiser.weights(of: "unet"), vae: vaeConfiguration,
                vaeWeights: vae.namedParameters().reduce(into: [:]) { $0[$1.name] = $1.tensor.detached() }),
            to: output)
        progress?(.saved(output))
    }
}
