import DiffusionModels
import Torch

/// Trains an AutoencoderKL on dataset images.
///
/// Loss: mean squared error of the reconstruction in [-1, 1], plus `klWeight` times
/// the KL divergence of the posterior from N(0, I), summed over each sample's latent
/// elements and averaged over the batch (the latent-diffusion convention). The weight
/// is kept tiny (1e-6) so reconstructions stay sharp: the KL term only stops the
/// latents from drifting to huge scales, and the scaling factor measured afterwards
/// brings them to unit variance for the UNet.
public struct VAEPretraining {
    public struct Settings: Equatable, Sendable {
        public var steps: Int
        public var batchSize: Int
        public var learningRate: Double
        public var klWeight: Double
        public var seed: UInt64

        public init(
            steps: Int = 1000, batchSize: Int = 32, learningRate: Double = 1e-3, klWeight: Double = 1e-6,
            seed: UInt64 = 0
        ) {
            self.steps = steps
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.klWeight = klWeight
            self.seed = seed
        }
    }

    public struct Progress: Sendable {
        public var step: Int
        public var steps: Int
        public var reconstructionLoss: Double
        public var klDivergence: Double
    }

    public let vae: AutoencoderKL
    public let settings: Settings
    private let optimizer: AdamW
    private let generator: Generator

    public init(vae: AutoencoderKL, settings: Settings) {
        self.vae = vae
        self.settings = settings
        optimizer = AdamW(
            parameters: vae.trainableParameters(),
            configuration: AdamW.Configuration(learningRate: settings.learningRate, weightDecay: 0))
        generator = Generator(seed: settings.seed)
    }

    /// One optimiser step on `images` ([B, 3, H, W] in [0, 1]); returns the losses.
    @discardableResult
    public func step(images: Tensor) -> (reconstruction: Double, kl: Double) {
        vae.train()
        let x = images * 2.0 - 1.0
        let posterior = vae.encode(x)
        let reconstruction = vae.decode(posterior.sample(generator: generator))
        let mse = (reconstruction - x).pow(2).mean()
        let kl = Self.klDivergence(posterior)
        let loss = mse + kl * settings.klWeight
        optimizer.zeroGrad()
        loss.backward()
        optimizer.update()
        return (mse.item(), kl.item())
    }

    /// Runs `settings.steps` steps on consecutive batches of the dataset's stream.
    public func run(dataset: PretrainingDataset, progress: ((Progress) -> Void)? = nil) {
        for step in 0..<settings.steps {
            let batch = dataset.batch(seed: settings.seed, first: step * settings.batchSize, count: settings.batchSize)
            let losses = self.step(images: batch.images)
            progress?(
                Progress(
                    step: step + 1, steps: settings.steps, reconstructionLoss: losses.reconstruction,
                    klDivergence: losses.kl))
        }
        vae.eval()
    }

    /// KL(q ‖ N(0, I)) per sample (summed over latent elements), averaged over the batch.
    static func klDivergence(_ posterior: DiagonalGaussian) -> Tensor {
        let perElement = (posterior.mean.pow(2) + posterior.variance - 1.0 - posterior.logVariance) * 0.5
        return perElement.sum(dims: [1, 2, 3]).mean()
    }

    /// The reconstruction MSE of `images` without training (posterior mean, no noise).
    public func evaluate(images: Tensor) -> Double {
        withNoGrad {
            let x = images * 2.0 - 1.0
            return (vae.decode(vae.encode(x).mode()) - x).pow(2).mean().item()
        }
    }
}
