import CTorch

/// An error reported by libtorch (the C++ message), or by this library's own checks.
///
/// Error policy: tensor operations TRAP on programmer error (mismatched shapes,
/// wrong dtypes, a non-scalar `item`), like an out-of-range index on a Swift array,
/// and the trap prints libtorch's message. Work that touches the outside world
/// (files, generator and optimizer state restored from disk, model loading) THROWS.
/// To turn op failures into a thrown error instead (for example when shapes come
/// from user input), run the ops inside `withTorchErrors { ... }`.
public struct TorchError: Error, CustomStringConvertible, Equatable {
    /// The operation that failed, e.g. "add" or "conv2d".
    public var operation: String
    /// libtorch's message (without the C++ backtrace).
    public var message: String

    public init(operation: String, message: String) {
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(operation): \(message)" }
}

/// Collects the first op failure inside a `withTorchErrors` scope.
final class TorchErrorCollector {
    var first: TorchError?
}

enum TorchErrorScope {
    @TaskLocal static var collector: TorchErrorCollector?
}

/// Runs `body`; a failing tensor op inside it does not trap but makes this call
/// throw the first failure (the op returns an undefined tensor meanwhile, and ops
/// on undefined tensors fail in turn, so the first error is the one reported).
public func withTorchErrors<R>(_ body: () throws -> R) throws -> R {
    let collector = TorchErrorCollector()
    let result = try TorchErrorScope.$collector.withValue(collector) { try body() }
    if let error = collector.first { throw error }
    return result
}

/// The message libtorch stored for the last failure on this thread.
func lastTorchErrorMessage() -> String {
    String(cString: tt_last_error())
}

/// Reports a failed op: records it inside `withTorchErrors`, traps otherwise.
func reportFailure(_ operation: StaticString) {
    let error = TorchError(operation: "\(operation)", message: lastTorchErrorMessage())
    if let collector = TorchErrorScope.collector {
        if collector.first == nil { collector.first = error }
        return
    }
    fatalError("Torch.\(error)")
}

/// Wraps a handle returned by the shim; a NULL handle is a failure of `operation`.
@inline(__always)
func wrap(_ handle: tt_tensor?, _ operation: StaticString) -> Tensor {
    if let handle { return Tensor(handle: handle) }
    reportFailure(operation)
    return Tensor(handle: tt_undefined()!)
}

/// Checks the status of a shim call that returns TT_OK / TT_ERROR.
@inline(__always)
func check(_ status: Int32, _ operation: StaticString) {
    if status != 0 { reportFailure(operation) }
}

/// Like `check`, but throws instead of trapping (for I/O-facing calls).
func checkThrowing(_ status: Int32, _ operation: StaticString) throws {
    if status != 0 { throw TorchError(operation: "\(operation)", message: lastTorchErrorMessage()) }
}
