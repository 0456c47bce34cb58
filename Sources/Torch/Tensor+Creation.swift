import CTorch

extension Tensor {
    /// A tensor with the given values in row-major order; `shape` defaults to
    /// `[values.count]`. Traps when the shape does not hold `values.count` elements.
    public convenience init<T: TensorElement>(_ values: [T], shape: [Int]? = nil) {
        let shape = shape ?? [values.count]
        let expected = shape.reduce(1, *)
        precondition(
            expected == values.count,
            "Torch.Tensor(_:shape:): \(values.count) values for shape \(shape) (\(expected) elements)")
        let handle = values.withUnsafeBytes { raw in
            shape.int64.withUnsafeBufferPointer { dims in
                tt_from_data(raw.baseAddress, raw.count, dims.baseAddress, Int32(dims.count), T.dtype.rawValue)
            }
        }
        guard let handle else {
            fatalError("Torch.Tensor(_:shape:): \(lastTorchErrorMessage())")
        }
        self.init(handle: handle)
    }

    /// A tensor built from raw little-endian bytes of the given dtype (copied).
    public convenience init(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws {
        let handle = shape.int64.withUnsafeBufferPointer { dims in
            tt_from_data(bytes.baseAddress, bytes.count, dims.baseAddress, Int32(dims.count), dtype.rawValue)
        }
        guard let handle else { throw TorchError(operation: "fromBytes", message: lastTorchErrorMessage()) }
        self.init(handle: handle)
    }

    /// A 0-dimensional tensor.
    public convenience init(scalar: Double, dtype: DType = .float32, device: Device = .cpu) {
        let handle = tt_scalar_tensor(scalar, dtype.rawValue, device.code)
        guard let handle else { fatalError("Torch.Tensor(scalar:): \(lastTorchErrorMessage())") }
        self.init(handle: handle)
    }

    private static func make(
        _ shape: [Int], _ operation: StaticString,
        _ body: (UnsafePointer<Int64>?, Int32) -> tt_tensor?
    ) -> Tensor {
        let handle = shape.int64.withUnsafeBufferPointer { body($0.baseAddress, Int32($0.count)) }
        return wrap(handle, operation)
    }

    /// Uninitialised memory.
    public static func empty(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        make(shape, "empty") { tt_empty($0, $1, dtype.rawValue, device.code) }
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        make(shape, "zeros") { tt_zeros($0, $1, dtype.rawValue, device.code) }
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        make(shape, "ones") { tt_ones($0, $1, dtype.rawValue, device.code) }
    }

    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        make(shape, "full") { tt_full($0, $1, value, dtype.rawValue, device.code) }
    }

    /// Zeros with this tensor's shape, dtype and device.
    public func zerosLike() -> Tensor { Tensor.zeros(shape, dtype: dtype, device: device) }
    public func onesLike() -> Tensor { Tensor.ones(shape, dtype: dtype, device: device) }
    public func fullLike(_ value: Double) -> Tensor { Tensor.full(shape, value: value, dtype: dtype, device: device) }

    /// Values start, start + step, ... below end (torch.arange).
    public static func arange(
        _ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType = .int64,
        device: Device = .cpu
    ) -> Tensor {
        wrap(tt_arange(start, end, step, dtype.rawValue, device.code), "arange")
    }

    public static func linspace(
        _ start: Double, _ end: Double, count: Int, dtype: DType = .float32,
        device: Device = .cpu
    ) -> Tensor {
        wrap(tt_linspace(start, end, Int64(count), dtype.rawValue, device.code), "linspace")
    }

    /// Standard normal samples; without a generator the device's default one is used.
    public static func randn(
        _ shape: [Int], dtype: DType = .float32, device: Device = .cpu,
        generator: Generator? = nil
    ) -> Tensor {
        make(shape, "randn") { tt_randn($0, $1, dtype.rawValue, device.code, generator?.handle) }
    }

    /// Uniform samples in [0, 1).
    public static func rand(
        _ shape: [Int], dtype: DType = .float32, device: Device = .cpu,
        generator: Generator? = nil
    ) -> Tensor {
        make(shape, "rand") { tt_rand($0, $1, dtype.rawValue, device.code, generator?.handle) }
    }

    /// Uniform integers in [low, high).
    public static func randint(
        low: Int = 0, high: Int, shape: [Int], dtype: DType = .int64, device: Device = .cpu,
        generator: Generator? = nil
    ) -> Tensor {
        make(shape, "randint") {
            tt_randint(Int64(low), Int64(high), $0, $1, dtype.rawValue, device.code, generator?.handle)
        }
    }

    /// A random permutation of 0..<n (int64).
    public static func randperm(_ n: Int, device: Device = .cpu, generator: Generator? = nil) -> Tensor {
        wrap(tt_randperm(Int64(n), device.code, generator?.handle), "randperm")
    }
}
