import Torch

/// The VAE encoder's latent distribution, diffusers' `DiagonalGaussianDistribution`:
/// independent Gaussians per latent element.
public struct DiagonalGaussian {
    public let mean: Tensor
    /// log σ², clamped to [-30, 20] as diffusers does (σ stays finite and nonzero).
    public let logVariance: Tensor

    /// From the encoder's output [B, 2·C, h, w]: means in the first C channels,
    /// log-variances in the last C.
    public init(parameters: Tensor) {
        let halves = parameters.chunked(2, dim: 1)
        mean = halves[0]
        logVariance = halves[1].clamped(min: -30, max: 20)
    }

    /// σ = exp(log σ² / 2).
    public var std: Tensor { (logVariance * 0.5).exp() }
    public var variance: Tensor { logVariance.exp() }

    /// mean + σ · ε, ε ~ N(0, I) drawn in the mean's dtype. The noise is drawn on the
    /// generator's device and moved to the mean's, as diffusers' randn_tensor does, so
    /// a CPU generator gives the same latents on any device.
    public func sample(generator: Generator? = nil) -> Tensor {
        let noise = Tensor.randn(
            mean.shape, dtype: mean.dtype, device: generator?.device ?? mean.device,
            generator: generator)
        return mean + std * noise.to(device: mean.device)
    }

    /// The most likely latent: the mean.
    public func mode() -> Tensor { mean }
}
