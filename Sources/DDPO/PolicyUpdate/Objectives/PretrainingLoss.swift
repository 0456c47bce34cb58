import DiffusionModels
import Pretraining
import Torch

/// The pretraining (denoising) loss added to the RL objective, against reward
/// over-optimisation (Zhang et al. 2024, docs/algorithm.md §8): at every optimizer
/// step the trainer adds `train.pretrain_loss_weight ×` the ordinary DDPM loss
/// (`DenoisingLoss`, the one the model was pretrained with) on a fresh batch of
/// data, so the UNet keeps denoising real images while it chases the reward.
///
/// One batch: `batchSize` images and captions of the dataset's stream; images
/// through the frozen VAE (a sample of its latent Gaussian, × `scaling_factor`),
/// captions through the frozen text encoder (no caption dropout: the loss anchors
/// the conditional model); t, noise and the VAE draw come from a generator of its
/// own. Everything random is a function of (`seed`, step), and the trainer derives
/// `seed` from the run seed and the epoch, so a resumed run sees the same batches.
/// The dataset's images are used at their own size (64 × 64 for the shapes world).
public struct PretrainingLoss {
    public let model: StableDiffusion
    public let dataset: PretrainingDataset
    public let batchSize: Int
    /// The seed of this epoch's stream.
    public let seed: UInt64

    public init(model: StableDiffusion, dataset: PretrainingDataset, batchSize: Int, seed: UInt64) {
        precondition(batchSize > 0, "PretrainingLoss: batch size must be positive, got \(batchSize)")
        self.model = model
        self.dataset = dataset
        self.batchSize = batchSize
        self.seed = seed
    }

    /// The images and captions of optimizer step `step` (0-based within the epoch).
    public func batch(step: Int) -> (images: Tensor, captions: [String]) {
        dataset.batch(seed: seed, first: step * batchSize, count: batchSize)
    }

    /// The generator of step `step`'s VAE draw, timesteps and noise (on the CPU, so
    /// every device sees the same numbers).
    public func generator(step: Int) -> Generator {
        Generator(seed: RunSeeds.seed(seed, epoch: step, purpose: .pretraining))
    }

    /// The loss of optimizer step `step`, differentiable with respect to the UNet.
    public func loss(step: Int) -> Tensor {
        let (images, captions) = batch(step: step)
        let generator = generator(step: step)
        let (latents, context) = withNoGrad {
            let pixels = images.to(dtype: model.dtype, device: model.device) * 2.0 - 1.0
            let latents = model.vae.encode(pixels).sample(generator: generator) * model.vae.configuration.scalingFactor
            return (latents, model.encode(prompts: captions))
        }
        return DenoisingLoss(schedule: model.scheduler.schedule)(latents: latents, generator: generator) { noisy, t in
            model.unet(noisy, timesteps: t, encoderHiddenStates: context)
        }
    }
}
