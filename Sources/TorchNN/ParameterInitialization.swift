import Torch

/// Whether new parameters get PyTorch's default random values or are left
/// uninitialised because weights will be loaded right after (building an 860M
/// parameter UNet with random values first would waste seconds).
public enum ParameterInitialization {
    case random
    case uninitialized
}

/// How modules built in the current scope create their parameters.
struct ParameterCreationScope {
    var initialization: ParameterInitialization = .random
    var dtype: DType = .float32
    var device: Device = .cpu
    var generator: Generator?

    @TaskLocal static var current = ParameterCreationScope()
}

/// Builds modules inside `body` with the given initialisation, dtype and device
/// (nil: as the enclosing scope; outside any scope random, float32, CPU). A
/// `generator` here seeds every layer that is not given one of its own.
///
/// The scope is task-local, so it covers exactly the modules `body` creates on
/// this thread or task.
public func withParameterInitialization<R>(
    _ initialization: ParameterInitialization, dtype: DType? = nil, device: Device? = nil,
    generator: Generator? = nil, _ body: () throws -> R
) rethrows -> R {
    var scope = ParameterCreationScope.current
    scope.initialization = initialization
    if let dtype { scope.dtype = dtype }
    if let device { scope.device = device }
    if let generator { scope.generator = generator }
    return try ParameterCreationScope.$current.withValue(scope) { try body() }
}

/// Initial parameter values as torch.nn.init draws them, honouring the current
/// `withParameterInitialization` scope: uninitialised memory in `.uninitialized`
/// mode, otherwise values drawn in float32 on the CPU (so a CPU generator gives
/// the same values whatever the target device) and converted to the scope's
/// dtype and device.
public enum ParameterInitializer {
    /// U(-bound, bound), computed as torch's `uniform_` does (the float32 draw
    /// scaled in double precision), so equal generator states give equal values.
    public static func uniform(_ shape: [Int], bound: Double, generator: Generator? = nil) -> Tensor {
        create(shape, generator: generator) { generator in
            let from = Double(Float(-bound))
            let range = Double(Float(bound) - Float(-bound))
            let unit = Tensor.rand(shape, dtype: .float32, generator: generator)
            return (unit.to(dtype: .float64) * range + from).to(dtype: .float32)
        }
    }

    /// kaiming_uniform_(w, a: a) with fan-in mode and leaky-ReLU gain; `a = √5` is
    /// what Linear and Conv2d use, giving U(±1/√fanIn).
    public static func kaimingUniform(
        _ shape: [Int], fanIn: Int, a: Double = 5.0.squareRoot(),
        generator: Generator? = nil
    ) -> Tensor {
        // The same sequence of double operations as torch.nn.init, for equal bounds.
        let gain = (2.0 / (1 + a * a)).squareRoot()
        let std = gain / Double(fanIn).squareRoot()
        let bound = 3.0.squareRoot() * std
        return uniform(shape, bound: bound, generator: generator)
    }

    /// N(mean, std²); N(0, 1) equals torch's `normal_()` draw.
    public static func normal(
        _ shape: [Int], mean: Double = 0, std: Double = 1,
        generator: Generator? = nil
    ) -> Tensor {
        create(shape, generator: generator) { generator in
            let unit = Tensor.randn(shape, dtype: .float32, generator: generator)
            return mean == 0 && std == 1 ? unit : unit * std + mean
        }
    }

    /// Every element equal to `value` (ones and zeros of the norms).
    public static func constant(_ shape: [Int], value: Double) -> Tensor {
        let scope = ParameterCreationScope.current
        switch scope.initialization {
        case .uninitialized: return Tensor.empty(shape, dtype: scope.dtype, device: scope.device)
        case .random: return Tensor.full(shape, value: value, dtype: scope.dtype, device: scope.device)
        }
    }

    private static func create(
        _ shape: [Int], generator: Generator?,
        _ draw: (Generator?) -> Tensor
    ) -> Tensor {
        let scope = ParameterCreationScope.current
        switch scope.initialization {
        case .uninitialized:
            return Tensor.empty(shape, dtype: scope.dtype, device: scope.device)
        case .random:
            let values = withNoGrad { draw(generator ?? scope.generator) }
            return values.to(dtype: scope.dtype, device: scope.device)
        }
    }
}
