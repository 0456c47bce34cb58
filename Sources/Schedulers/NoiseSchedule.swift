import Foundation
import Torch

/// The forward-process noise levels shared by every scheduler: betas and their
/// cumulative products, computed in float32 exactly as diffusers does, plus the
/// training-time noising used by the denoising loss (DDPM q(x_t | x_0)).
public struct NoiseSchedule {
    public let configuration: SchedulerConfiguration
    /// beta_t, float32 [T].
    public let betas: Tensor
    /// alpha-bar_t = prod(1 - beta_s, s <= t), float32 [T].
    public let alphasCumprod: Tensor
    /// The alpha-bar used "before" step 0: 1, or alpha-bar_0 (set_alpha_to_one false).
    public let finalAlphaCumprod: Tensor

    public init(_ configuration: SchedulerConfiguration) {
        self.configuration = configuration
        let n = configuration.numTrainTimesteps
        var betas: Tensor
        if let trained = configuration.trainedBetas {
            betas = Tensor(trained.map { Float($0) })
        } else {
            switch configuration.betaSchedule {
            case .linear:
                betas = Tensor.linspace(configuration.betaStart, configuration.betaEnd, count: n)
            case .scaledLinear:
                betas = Tensor.linspace(
                    configuration.betaStart.squareRoot(), configuration.betaEnd.squareRoot(), count: n
                )
                .pow(2)
            case .squaredCosCapV2:
                betas = Tensor(Self.cosineBetas(count: n).map { Float($0) })
            }
        }
        if configuration.rescaleBetasZeroSNR { betas = Self.rescaledToZeroTerminalSNR(betas) }
        self.betas = betas
        alphasCumprod = (1.0 - betas).cumprod(dim: 0)
        finalAlphaCumprod = configuration.setAlphaToOne ? Tensor(scalar: 1.0) : alphasCumprod[0]
    }

    /// Glide's cosine schedule (betas_for_alpha_bar), computed in double as Python does.
    static func cosineBetas(count: Int, maxBeta: Double = 0.999) -> [Double] {
        func alphaBar(_ t: Double) -> Double {
            let c = Foundation.cos((t + 0.008) / 1.008 * Double.pi / 2)
            return c * c
        }
        return (0..<count).map { i in
            let t1 = Double(i) / Double(count)
            let t2 = Double(i + 1) / Double(count)
            return Swift.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta)
        }
    }

    /// Rescales betas so the last step has zero signal-to-noise ratio (Lin et al. 2023, Algorithm 1).
    static func rescaledToZeroTerminalSNR(_ betas: Tensor) -> Tensor {
        let alphaBarSqrt = (1.0 - betas).cumprod(dim: 0).sqrt()
        let first = alphaBarSqrt[0].clone()
        let last = alphaBarSqrt[alphaBarSqrt.size(0) - 1].clone()
        let shifted = (alphaBarSqrt - last) * (first / (first - last))
        let alphaBar = shifted.pow(2)
        let n = alphaBar.size(0)
        let alphas = Tensor.cat([
            alphaBar.slice(dim: 0, 0..<1), alphaBar.slice(dim: 0, 1..<n) / alphaBar.slice(dim: 0, 0..<(n - 1))
        ])
        return 1.0 - alphas
    }

    /// alpha-bar at each timestep of a [B] int64 tensor, shaped [B, 1, ..., 1] to
    /// broadcast against samples of the given rank.
    public func alphaCumprod(at timesteps: Tensor, rank: Int) -> Tensor {
        let table = alphasCumprod.to(device: timesteps.device)
        let values = table.indexSelect(dim: 0, index: timesteps.flattened())
        return values.reshaped([-1] + Array(repeating: 1, count: Swift.max(rank - 1, 0)))
    }

    /// x_t = sqrt(alpha-bar_t) x_0 + sqrt(1 - alpha-bar_t) noise, per sample (diffusers' add_noise).
    public func addNoise(to original: Tensor, noise: Tensor, timesteps: Tensor) -> Tensor {
        let a = alphaCumprod(at: timesteps, rank: original.rank).to(dtype: original.dtype)
        return a.pow(0.5) * original + (1.0 - a).pow(0.5) * noise
    }

    /// The v-prediction target sqrt(alpha-bar_t) noise - sqrt(1 - alpha-bar_t) x_0 (get_velocity).
    public func velocity(of sample: Tensor, noise: Tensor, timesteps: Tensor) -> Tensor {
        let a = alphaCumprod(at: timesteps, rank: sample.rank).to(dtype: sample.dtype)
        return a.pow(0.5) * noise - (1.0 - a).pow(0.5) * sample
    }

    /// The training target of the denoising loss for this schedule's prediction type.
    public func trainingTarget(original: Tensor, noise: Tensor, timesteps: Tensor) -> Tensor {
        switch configuration.predictionType {
        case .epsilon: return noise
        case .vPrediction: return velocity(of: original, noise: noise, timesteps: timesteps)
        case .sample: return original
        }
    }
}
