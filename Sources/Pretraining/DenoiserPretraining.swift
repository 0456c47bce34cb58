import DiffusionModels
import Schedulers
import Torch

/// Trains a CLIP text encoder and a UNet together on the DDPM objective, in the
/// latent space of a trained, frozen VAE.
///
/// Each step: encode images to latents × scaling factor, draw t uniformly in
/// [0, num_train_timesteps), noise them with `addNoise`, predict the schedule's
/// target (epsilon for SD 1.x) from the caption's embedding, MSE. A fraction of
/// captions become "" so classifier-free guidance has an unconditional model.
/// The text encoder learns jointly because a frozen random one loses colours and
/// backgrounds (docs/pretraining.md, "The feasibility probe").
public struct DenoiserPretraining {
    public struct Settings: Equatable, Sendable {
        public var steps: Int
        public var batchSize: Int
        public var learningRate: Double
        public var captionDropout: Double
        public var maxGradientNorm: Double
        /// nil: no EMA, the raw weights are saved.
        public var emaDecay: Double?
        public var seed: UInt64

        public init(
            steps: Int = 2400, batchSize: Int = 64, learningRate: Double = 1e-3, captionDropout: Double = 0.1,
            maxGradientNorm: Double = 1.0, emaDecay: Double? = 0.999, seed: UInt64 = 0
        ) {
            self.steps = steps
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.captionDropout = captionDropout
            self.maxGradientNorm = maxGradientNorm
            self.emaDecay = emaDecay
            self.seed = seed
        }
    }

    public struct Progress: Sendable {
        public var step: Int
        public var steps: Int
        public var loss: Double
    }

    public let tokenizer: CLIPTokenizer
    public let textEncoder: CLIPTextModel
    public let unet: UNet2DConditionModel
    public let vae: AutoencoderKL
    public let schedule: NoiseSchedule
    /// Multiplies VAE latents to unit variance (the saved `scaling_factor`).
    public let latentScale: Double
    public let settings: Settings
    /// The averaged weights of both models (text encoder and UNet keys), when EMA is on.
    public let ema: ExponentialMovingAverage?
    private let parameters: [(name: String, tensor: Tensor)]
    private let optimizer: AdamW
    private let generator: Generator

    public init(
        tokenizer: CLIPTokenizer, textEncoder: CLIPTextModel, unet: UNet2DConditionModel, vae: AutoencoderKL,
        schedule: NoiseSchedule, latentScale: Double, settings: Settings
    ) {
        self.latentScale = latentScale
        self.tokenizer = tokenizer
        self.textEncoder = textEncoder
        self.unet = unet
        self.vae = vae
        self.schedule = schedule
        self.settings = settings
        // Prefixes keep the two models' parameter names apart in the optimiser and EMA.
        let named =
            textEncoder.trainableParameters().map { ("text_encoder.\($0.name)", $0.tensor) }
            + unet.trainableParameters().map { ("unet.\($0.name)", $0.tensor) }
        parameters = named
        optimizer = AdamW(
            parameters: named,
            configuration: AdamW.Configuration(learningRate: settings.learningRate))
        ema = settings.emaDecay.map { ExponentialMovingAverage(parameters: named, decay: $0) }
        generator = Generator(seed: settings.seed)
    }

    /// One optimiser step on `images` ([B, 3, H, W] in [0, 1]) and their captions.
    @discardableResult
    public func step(images: Tensor, captions: [String]) -> Double {
        textEncoder.train()
        unet.train()
        let batch = captions.count
        let latents = withNoGrad {
            vae.encode(images * 2.0 - 1.0).sample(generator: generator) * latentScale
        }
        let keep = Tensor.rand([batch], generator: generator).toArray(Float.self)
        let prompts = zip(captions, keep).map { Double($0.1) < settings.captionDropout ? "" : $0.0 }
        let loss = DenoisingLoss(schedule: schedule)(latents: latents, generator: generator) { noisy, timesteps in
            unet(noisy, timesteps: timesteps, encoderHiddenStates: textEncoder(tokenizer(prompts)))
        }
        optimizer.zeroGrad()
        loss.backward()
        clipGradientNorm(parameters.map(\.tensor), maxNorm: settings.maxGradientNorm)
        optimizer.update()
        ema?.update()
        return loss.item()
    }

    /// Runs `settings.steps` steps on consecutive batches of the dataset's stream.
    public func run(dataset: PretrainingDataset, progress: ((Progress) -> Void)? = nil) {
        for step in 0..<settings.steps {
            let batch = dataset.batch(seed: settings.seed, first: step * settings.batchSize, count: settings.batchSize)
            let loss = self.step(images: batch.images, captions: batch.captions)
            progress?(Progress(step: step + 1, steps: settings.steps, loss: loss))
        }
        textEncoder.eval()
        unet.eval()
    }

    /// The weights to save for one model ("text_encoder" or "unet"): EMA if on, else raw.
    public func weights(of model: String) -> [String: Tensor] {
        let prefix = model + "."
        var out: [String: Tensor] = [:]
        for (name, tensor) in parameters where name.hasPrefix(prefix) {
            out[String(name.dropFirst(prefix.count))] = ema?.shadow[name] ?? tensor.detached()
        }
        return out
    }

    /// The DDPM loss on a batch with fixed noise draws from `seed`, without training
    /// (for comparing before and after).
    public func evaluate(images: Tensor, captions: [String], seed: UInt64) -> Double {
        withNoGrad {
            let g = Generator(seed: seed)
            let latents = vae.encode(images * 2.0 - 1.0).mode() * latentScale
            let timesteps = Tensor.randint(
                low: 0, high: schedule.configuration.numTrainTimesteps,
                shape: [captions.count], generator: g)
            let noise = Tensor.randn(latents.shape, generator: g)
            let noisy = schedule.addNoise(to: latents, noise: noise, timesteps: timesteps)
            let target = schedule.trainingTarget(original: latents, noise: noise, timesteps: timesteps)
            let prediction = unet(noisy, timesteps: timesteps, encoderHiddenStates: textEncoder(tokenizer(captions)))
            return (prediction - target).pow(2).mean().item()
        }
    }
}
