import CTorch

/// Where a tensor lives.
public enum Device: Equatable, Hashable, Sendable, CustomStringConvertible {
    case cpu
    case cuda(Int)

    /// The shim's device code: -1 for the CPU, the index for CUDA.
    var code: Int32 {
        switch self {
        case .cpu: return -1
        case .cuda(let index): return Int32(index)
        }
    }

    init(code: Int32) {
        self = code < 0 ? .cpu : .cuda(Int(code))
    }

    /// Whether libtorch_cuda.so was found beside libtorch_cpu.so and loaded at start
    /// (the shim loads it itself; see docs/gpu.md).
    public static var isCUDALoaded: Bool { tt_cuda_loaded() }

    /// Why CUDA support is not loaded (the path tried, dlerror's text), or nil once it is.
    public static var cudaLoadError: String? {
        isCUDALoaded ? nil : String(cString: tt_cuda_load_error())
    }

    /// Throws unless this is the CPU or a visible GPU, naming the reason: CUDA
    /// support not loaded (with the loader's message) or too few devices.
    public func checkAvailable() throws {
        guard case .cuda(let index) = self else { return }
        if let reason = Device.cudaLoadError {
            throw TorchError(operation: "device \(self)", message: "CUDA support is not loaded: \(reason)")
        }
        let count = Device.cudaDeviceCount
        if index >= count {
            // libtorch's own reason, when it has one, tells a missing driver from a
            // machine without GPUs ("Found no NVIDIA driver on your system...").
            var reason = ""
            do { _ = try withTorchErrors { Tensor.zeros([1], device: self) } } catch let error as TorchError {
                reason = ": " + (error.message.split(separator: "\n").first.map(String.init) ?? error.message)
            }
            throw TorchError(operation: "device \(self)", message: "no such CUDA device (\(count) visible)\(reason)")
        }
    }

    /// Whether libtorch has CUDA support loaded and sees at least one GPU.
    public static var isCUDAAvailable: Bool { tt_cuda_is_available() }

    /// Number of visible CUDA devices (0 without CUDA support).
    public static var cudaDeviceCount: Int { Int(tt_cuda_device_count()) }

    /// The first GPU when there is one, otherwise the CPU.
    public static var best: Device { isCUDAAvailable ? .cuda(0) : .cpu }

    /// Blocks until queued work on this device has finished (no-op on the CPU).
    public func synchronize() {
        if case .cuda(let index) = self { check(tt_cuda_synchronize(Int32(index)), "synchronize") }
    }

    /// Parses "cpu", "cuda" or "cuda:N".
    public init?(_ text: String) {
        if text == "cpu" {
            self = .cpu
            return
        }
        if text == "cuda" {
            self = .cuda(0)
            return
        }
        if text.hasPrefix("cuda:"), let index = Int(text.dropFirst(5)), index >= 0 {
            self = .cuda(index)
            return
        }
        return nil
    }

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let index): return "cuda:\(index)"
        }
    }
}
