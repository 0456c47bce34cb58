import CTorch
import Foundation

/// An n-dimensional array on libtorch. The class owns one shim handle and frees
/// it exactly once; several `Tensor`s may view the same storage, as in PyTorch.
public final class Tensor {
    let handle: tt_tensor

    init(handle: tt_tensor) {
        self.handle = handle
    }

    deinit {
        tt_tensor_free(handle)
    }

    /// False for the placeholder a failed op returns inside `withTorchErrors`,
    /// and for a missing gradient.
    public var isDefined: Bool { tt_tensor_defined(handle) }

    public var rank: Int { Int(tt_tensor_dim(handle)) }

    public var shape: [Int] {
        let n = rank
        guard n > 0 else { return [] }
        var sizes = [Int64](repeating: 0, count: n)
        check(tt_tensor_shape(handle, &sizes), "shape")
        return sizes.map(Int.init)
    }

    /// Size of one dimension; negative dims count from the end.
    public func size(_ dim: Int) -> Int {
        let s = shape
        return s[dim < 0 ? s.count + dim : dim]
    }

    public var elementCount: Int { Int(tt_tensor_numel(handle)) }

    public var dtype: DType {
        let code = tt_tensor_dtype(handle)
        guard let dtype = DType(rawValue: code) else {
            fatalError("Torch.dtype: tensor has a dtype this library does not expose")
        }
        return dtype
    }

    public var device: Device { Device(code: tt_tensor_device(handle)) }

    public var isContiguous: Bool { tt_tensor_is_contiguous(handle) }

    /// Another `Tensor` object sharing this tensor (same storage, same autograd node).
    public func alias() -> Tensor { wrap(tt_tensor_alias(handle), "alias") }

    /// The value of a one-element tensor.
    public func item() -> Double {
        var value = 0.0
        check(tt_tensor_item_double(handle, &value), "item")
        return value
    }

    /// The value of a one-element integer tensor.
    public func itemInt() -> Int {
        var value: Int64 = 0
        check(tt_tensor_item_int64(handle, &value), "item")
        return Int(value)
    }

    /// The values, converted to `T` by libtorch when the dtype differs, in
    /// row-major order.
    public func toArray<T: TensorElement>(_ type: T.Type = T.self) -> [T] {
        let source = dtype == T.dtype ? self : to(dtype: T.dtype)
        let count = source.elementCount
        var values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = count
        }
        values.withUnsafeMutableBytes { raw in
            check(tt_copy_to_buffer(source.handle, raw.baseAddress, raw.count), "toArray")
        }
        return values
    }

    /// The raw bytes of the tensor in row-major order (copied from any device).
    public func bytes() -> [UInt8] {
        let count = elementCount * dtype.byteSize
        var values = [UInt8](repeating: 0, count: count)
        values.withUnsafeMutableBytes { raw in
            check(tt_copy_to_buffer(handle, raw.baseAddress, raw.count), "bytes")
        }
        return values
    }

    /// Read-only access to the contiguous CPU storage without a copy; nil when the
    /// tensor is not on the CPU or not contiguous.
    public func withUnsafeBytesIfContiguous<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard let pointer = tt_tensor_data_ptr(handle) else { return nil }
        return try body(UnsafeRawBufferPointer(start: pointer, count: elementCount * dtype.byteSize))
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        guard let text = tt_tensor_description(handle) else { return "Tensor(<unprintable>)" }
        defer { free(text) }
        return String(cString: text)
    }
}

extension Array where Element == Int {
    /// Shapes cross the C boundary as int64.
    var int64: [Int64] { map(Int64.init) }
}
