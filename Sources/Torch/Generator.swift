import CTorch

/// A random-number generator: libtorch's Philox (CUDA) or Mersenne-Twister (CPU)
/// generator, the same one `torch.Generator` wraps, so equal seeds give equal draws.
public final class Generator {
    let handle: tt_generator
    /// The device whose random numbers this generator produces.
    public let device: Device

    private init(handle: tt_generator, device: Device) {
        self.handle = handle
        self.device = device
    }

    /// A new generator seeded with `seed` (torch.Generator(device).manual_seed(seed)).
    public convenience init(seed: UInt64, device: Device = .cpu) {
        guard let handle = tt_generator_new(seed, device.code) else {
            fatalError("Torch.Generator: \(lastTorchErrorMessage())")
        }
        self.init(handle: handle, device: device)
    }

    deinit {
        tt_generator_free(handle)
    }

    /// The device's default generator, the one ops use when given none.
    public static func defaultGenerator(device: Device = .cpu) -> Generator {
        guard let handle = tt_generator_default(device.code) else {
            fatalError("Torch.Generator.defaultGenerator: \(lastTorchErrorMessage())")
        }
        return Generator(handle: handle, device: device)
    }

    /// Restarts the sequence from `seed`.
    public func seed(_ seed: UInt64) {
        check(tt_generator_set_seed(handle, seed), "manual_seed")
    }

    /// The full state as a uint8 tensor, in torch's layout (get_state()).
    public var state: Tensor { wrap(tt_generator_get_state(handle), "get_state") }

    /// Restores a state from `state` (for example one read back from a checkpoint).
    public func setState(_ state: Tensor) throws {
        try checkThrowing(tt_generator_set_state(handle, state.handle), "set_state")
    }
}

/// Process-wide settings of libtorch.
public enum Runtime {
    /// libtorch's version string.
    public static var version: String { String(cString: tt_version()) }

    /// Seeds every device's default generator (torch.manual_seed).
    public static func manualSeed(_ seed: UInt64) {
        tt_manual_seed(seed)
    }

    /// Threads of libtorch's intra-op pool.
    public static var threadCount: Int {
        get { Int(tt_get_num_threads()) }
        set { check(tt_set_num_threads(Int32(newValue)), "set_num_threads") }
    }

    /// Sets the inter-op pool size; libtorch allows this once, before first use.
    public static func setInteropThreadCount(_ n: Int) throws {
        try checkThrowing(tt_set_num_interop_threads(Int32(n)), "set_num_interop_threads")
    }
}
