import Torch
import TorchNN

/// The gated GELU unit of diffusers' `GEGLU`: one projection to twice the width,
/// split in halves h and g, output h · gelu(g).
public final class GEGLU: Module {
    @Child public var proj: Linear

    public init(inputDimension: Int, outputDimension: Int) {
        super.init()
        proj = Linear(inputDimension, outputDimension * 2)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let halves = proj(x).chunked(2, dim: -1)
        return halves[0] * halves[1].gelu()
    }
}

/// diffusers' `FeedForward` with the "geglu" activation of Stable Diffusion's
/// transformer blocks: `net.0` (GEGLU to 4× width), `net.2` (Linear back). `net.1` is a
/// dropout of probability 0 in the UNets we load and has no parameters, so it is left out.
public final class FeedForward: Module {
    @Child(key: "net.0") public var gatedProjection: GEGLU
    @Child(key: "net.2") public var outputProjection: Linear

    public init(dimension: Int, multiplier: Int = 4) {
        super.init()
        let innerDimension = dimension * multiplier
        gatedProjection = GEGLU(inputDimension: dimension, outputDimension: innerDimension)
        outputProjection = Linear(innerDimension, dimension)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        outputProjection(gatedProjection(x))
    }
}
