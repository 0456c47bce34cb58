import Schedulers
import Torch

/// The DDPM training loss (Ho et al. 2020) that pretraining minimises and that
/// DDPO's `train.pretrain_loss_weight` adds back during RL: draw t uniformly in
/// [0, num_train_timesteps) and noise ε ~ N(0, I) per sample, noise the clean
/// latents with `NoiseSchedule.addNoise`, and take the mean squared error between
/// the model's output and the schedule's `trainingTarget` (ε for SD 1.x).
public struct DenoisingLoss {
    public let schedule: NoiseSchedule

    public init(schedule: NoiseSchedule) {
        self.schedule = schedule
    }

    /// The loss on `latents` [B, C, h, w] (already × scaling factor). Timesteps, then
    /// noise, are drawn from `generator` on its device and moved to the latents'.
    /// `predict(noisy, timesteps)` is the model; the loss is differentiable through it.
    public func callAsFunction(
        latents: Tensor, generator: Generator,
        predict: (_ noisy: Tensor, _ timesteps: Tensor) -> Tensor
    ) -> Tensor {
        let device = latents.device
        let timesteps = Tensor.randint(
            low: 0, high: schedule.configuration.numTrainTimesteps, shape: [latents.size(0)],
            device: generator.device, generator: generator
        ).to(device: device)
        let noise = Tensor.randn(latents.shape, dtype: latents.dtype, device: generator.device, generator: generator)
            .to(device: device)
        let noisy = schedule.addNoise(to: latents, noise: noise, timesteps: timesteps)
        let target = schedule.trainingTarget(original: latents, noise: noise, timesteps: timesteps)
        return (predict(noisy, timesteps) - target).pow(2).mean()
    }
}
