import DiffusionModels
import Torch

/// The VAE's `scaling_factor`: 1 / std of the latents of dataset images, so the
/// UNet sees unit-variance latents as Stable Diffusion's does (0.18215 there;
/// ≈ 0.49 for the tiny shapes VAE).
public enum LatentScaling {
    public static func measure(
        vae: AutoencoderKL, dataset: PretrainingDataset, seed: UInt64, batches: Int = 4,
        batchSize: Int = 32
    ) -> Double {
        withNoGrad {
            var latents: [Tensor] = []
            for index in 0..<batches {
                let images = dataset.batch(seed: seed, first: index * batchSize, count: batchSize).images
                latents.append(vae.encode(images * 2.0 - 1.0).mode())
            }
            return 1.0 / Tensor.cat(latents).flattened().standardDeviation().item()
        }
    }
}
