import CTorch

/// Automatic mixed precision: inside `Autocast.run`, libtorch runs the ops it lists
/// as safe in lower precision (convolutions, matrix products) in `dtype`, casting
/// their fp32 inputs and weights on the fly, and keeps the others (reductions,
/// normalisations, softmax) in fp32. The weights themselves, and so their gradients
/// and the optimizer state, stay fp32.
///
/// The state is thread-local in libtorch, so the body must be synchronous (no
/// `await` inside: the task could resume on another thread).
public enum Autocast {
    /// Whether autocast is on for `device`'s type on this thread.
    public static func isEnabled(on device: Device) -> Bool {
        tt_autocast_is_enabled(device.code)
    }

    /// Runs `body` with autocast to `dtype` on `device`'s type, then restores the
    /// previous state; a nil `dtype` runs `body` unchanged (autocast off, as given).
    public static func run<R>(on device: Device, dtype: DType?, _ body: () throws -> R) rethrows -> R {
        guard let dtype else { return try body() }
        let wasEnabled = tt_autocast_is_enabled(device.code)
        let previousDType = tt_autocast_dtype(device.code)
        check(tt_autocast_set(device.code, true, dtype.rawValue), "autocast_set")
        if tt_autocast_enter_scope() < 0 { reportFailure("autocast_enter") }
        defer {
            if tt_autocast_exit_scope() < 0 { reportFailure("autocast_exit") }
            check(tt_autocast_set(device.code, wasEnabled, previousDType), "autocast_set")
        }
        return try body()
    }
}
