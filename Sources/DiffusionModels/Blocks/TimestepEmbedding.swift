import Foundation
import Torch
import TorchNN

/// Sinusoidal embeddings of (possibly fractional) timesteps, diffusers'
/// `get_timestep_embedding`: for i < d/2, frequency_i = exp(-ln(maxPeriod) · i / (d/2 - shift)),
/// embedding = [sin(t·f), cos(t·f)], or [cos, sin] with `flipSinToCos`, zero-padded to
/// an odd `dimension`.
///
/// - Parameter timesteps: [N], any numeric dtype; the result is float32 [N, dimension],
///   computed in the same float32 operations as diffusers.
public func sinusoidalTimestepEmbedding(
    _ timesteps: Tensor, dimension: Int, flipSinToCos: Bool,
    downscaleFrequencyShift: Double, scale: Double = 1,
    maxPeriod: Double = 10000
) -> Tensor {
    precondition(timesteps.rank == 1, "sinusoidalTimestepEmbedding: timesteps must be 1-D, got \(timesteps.shape)")
    let half = dimension / 2
    let exponent =
        Tensor.arange(0, Double(half), dtype: .float32, device: timesteps.device) * -Foundation.log(maxPeriod)
        / (Double(half) - downscaleFrequencyShift)
    let frequencies = exponent.exp()
    var arguments = timesteps.to(dtype: .float32).unsqueezed(1) * frequencies.unsqueezed(0)
    if scale != 1 { arguments = arguments * scale }
    var embedding = Tensor.cat([arguments.sin(), arguments.cos()], dim: -1)
    if flipSinToCos {
        embedding = Tensor.cat([embedding.slice(dim: 1, half..<(2 * half)), embedding.slice(dim: 1, 0..<half)], dim: -1)
    }
    if dimension % 2 == 1 {
        embedding = embedding.padded([0, 1])
    }
    return embedding
}

/// diffusers' `TimestepEmbedding`: linear_1, SiLU, linear_2 (the UNet's MLP from the
/// sinusoidal embedding to the time embedding every ResNet block receives).
public final class TimestepEmbedding: Module {
    @Child(key: "linear_1") public var linear1: Linear
    @Child(key: "linear_2") public var linear2: Linear

    public init(inputChannels: Int, embeddingDimension: Int) {
        super.init()
        linear1 = Linear(inputChannels, embeddingDimension)
        linear2 = Linear(embeddingDimension, embeddingDimension)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        linear2(linear1(x).silu())
    }
}
