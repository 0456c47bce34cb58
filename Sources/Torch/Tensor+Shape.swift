import CTorch

// Shape changes, indexing, joining and splitting, dtype and device moves.
extension Tensor {
    /// A view or copy with the given shape; one entry may be -1.
    public func reshaped(_ shape: [Int]) -> Tensor {
        let handle = shape.int64.withUnsafeBufferPointer { tt_reshape(self.handle, $0.baseAddress, Int32($0.count)) }
        return wrap(handle, "reshape")
    }

    public func flattened() -> Tensor { reshaped([-1]) }

    /// Broadcasts size-1 dimensions to `shape` without copying (-1 keeps a size).
    public func expanded(to shape: [Int]) -> Tensor {
        let handle = shape.int64.withUnsafeBufferPointer { tt_expand(self.handle, $0.baseAddress, Int32($0.count)) }
        return wrap(handle, "expand")
    }

    public func permuted(_ dims: [Int]) -> Tensor {
        let handle = dims.int64.withUnsafeBufferPointer { tt_permute(self.handle, $0.baseAddress, Int32($0.count)) }
        return wrap(handle, "permute")
    }

    public func transposed(_ dim0: Int, _ dim1: Int) -> Tensor {
        wrap(tt_transpose(handle, Int64(dim0), Int64(dim1)), "transpose")
    }

    public func unsqueezed(_ dim: Int) -> Tensor { wrap(tt_unsqueeze(handle, Int64(dim)), "unsqueeze") }

    /// Removes `dim` if it has size 1, or every size-1 dimension when nil.
    public func squeezed(_ dim: Int? = nil) -> Tensor {
        wrap(tt_squeeze(handle, Int64(dim ?? 0), dim == nil), "squeeze")
    }

    /// Elements start, start + step, ... below end along `dim` (a view).
    public func slice(dim: Int, start: Int = 0, end: Int = Int(Int64.max), step: Int = 1) -> Tensor {
        wrap(tt_slice(handle, Int64(dim), Int64(start), Int64(end), Int64(step)), "slice")
    }

    /// The range along `dim` (a view), e.g. `x.slice(dim: 1, 2..<5)`.
    public func slice(dim: Int, _ range: Range<Int>) -> Tensor {
        slice(dim: dim, start: range.lowerBound, end: range.upperBound)
    }

    /// The sub-tensor at `index` along `dim`, with that dimension removed.
    public func select(dim: Int, index: Int) -> Tensor {
        wrap(tt_select(handle, Int64(dim), Int64(index)), "select")
    }

    /// The sub-tensor at `index` along the first dimension.
    public subscript(index: Int) -> Tensor { select(dim: 0, index: index) }

    /// The range along the first dimension.
    public subscript(range: Range<Int>) -> Tensor { slice(dim: 0, range) }

    public func indexSelect(dim: Int, index: Tensor) -> Tensor {
        wrap(tt_index_select(handle, Int64(dim), index.handle), "index_select")
    }

    public func gather(dim: Int, index: Tensor) -> Tensor {
        wrap(tt_gather(handle, Int64(dim), index.handle), "gather")
    }

    public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        let handles: [tt_tensor?] = tensors.map { $0.handle }
        return withExtendedLifetime(tensors) {
            wrap(handles.withUnsafeBufferPointer { tt_cat($0.baseAddress, Int32($0.count), Int64(dim)) }, "cat")
        }
    }

    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        let handles: [tt_tensor?] = tensors.map { $0.handle }
        return withExtendedLifetime(tensors) {
            wrap(handles.withUnsafeBufferPointer { tt_stack($0.baseAddress, Int32($0.count), Int64(dim)) }, "stack")
        }
    }

    /// Tiles the tensor `repeats[i]` times along each dimension (torch.Tensor.repeat).
    public func repeated(_ repeats: [Int]) -> Tensor {
        let handle = repeats.int64.withUnsafeBufferPointer { tt_repeat(self.handle, $0.baseAddress, Int32($0.count)) }
        return wrap(handle, "repeat")
    }

    public func flipped(dims: [Int]) -> Tensor {
        let handle = dims.int64.withUnsafeBufferPointer { tt_flip(self.handle, $0.baseAddress, Int32($0.count)) }
        return wrap(handle, "flip")
    }

    /// Splits into `chunks` pieces along `dim` (the last may be smaller, and there
    /// may be fewer pieces, as torch.chunk).
    public func chunked(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        var out = [tt_tensor?](repeating: nil, count: Swift.max(chunks, 0))
        var count: Int64 = 0
        if tt_chunk(handle, Int64(chunks), Int64(dim), &out, &count) != 0 {
            reportFailure("chunk")
            return []
        }
        return out.prefix(Int(count)).map { Tensor(handle: $0!) }
    }

    /// Splits into pieces of the given sizes along `dim`.
    public func split(sizes: [Int], dim: Int = 0) -> [Tensor] {
        var out = [tt_tensor?](repeating: nil, count: sizes.count)
        let status = sizes.int64.withUnsafeBufferPointer {
            tt_split_with_sizes(handle, $0.baseAddress, Int32($0.count), Int64(dim), &out)
        }
        if status != 0 {
            reportFailure("split")
            return []
        }
        return out.map { Tensor(handle: $0!) }
    }

    /// Splits into pieces of `size` along `dim` (the last may be smaller).
    public func split(size: Int, dim: Int = 0) -> [Tensor] {
        precondition(size > 0, "Torch.split: size must be positive, got \(size)")
        let total = self.size(dim)
        let sizes = stride(from: 0, to: total, by: size).map { Swift.min(size, total - $0) }
        return split(sizes: sizes, dim: dim)
    }

    public func contiguous() -> Tensor { wrap(tt_contiguous(handle), "contiguous") }

    /// A copy with its own storage (gradients flow back to the original).
    public func clone() -> Tensor { wrap(tt_clone(handle), "clone") }

    /// The same bytes read as `dtype`, which must have the same element size
    /// (float32 ↔ int32): a view, not a conversion.
    public func viewBits(as dtype: DType) -> Tensor { wrap(tt_view_dtype(handle, dtype.rawValue), "view(dtype)") }

    public func to(dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        return wrap(tt_to(handle, dtype.rawValue, device.code, false), "to")
    }

    public func to(device: Device) -> Tensor {
        if device == self.device { return self }
        return wrap(tt_to(handle, dtype.rawValue, device.code, false), "to")
    }

    public func to(dtype: DType, device: Device) -> Tensor {
        if dtype == self.dtype && device == self.device { return self }
        return wrap(tt_to(handle, dtype.rawValue, device.code, false), "to")
    }

    /// Pads the last dimensions: `pads` lists (before, after) pairs starting from
    /// the last dimension, as torch.nn.functional.pad.
    public func padded(_ pads: [Int], value: Double = 0) -> Tensor {
        let handle = pads.int64.withUnsafeBufferPointer {
            tt_constant_pad(self.handle, $0.baseAddress, Int32($0.count), value)
        }
        return wrap(handle, "pad")
    }
}

// In-place updates. Parameters that require gradients must be updated inside
// `withNoGrad`, as in PyTorch.
extension Tensor {
    /// Copies `source` (broadcast, converted) into this tensor's storage.
    public func copy(from source: Tensor) { check(tt_copy_(handle, source.handle), "copy_") }
    public func fill(_ value: Double) { check(tt_fill_(handle, value), "fill_") }
    /// self += alpha * other.
    public func add(_ other: Tensor, alpha: Double = 1) { check(tt_add_(handle, other.handle, alpha), "add_") }
    public func multiply(by s: Double) { check(tt_mul_scalar_(handle, s), "mul_") }
}
