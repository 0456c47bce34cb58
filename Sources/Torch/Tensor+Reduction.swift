import CTorch

// Reductions. `dims` may be negative (counted from the end); an empty `dims`
// reduces over every dimension.
extension Tensor {
    func reduce(_ op: tt_reduce_op, _ dims: [Int], _ keepDim: Bool, _ name: StaticString) -> Tensor {
        let handle = dims.int64.withUnsafeBufferPointer {
            tt_reduce(Int32(op.rawValue), self.handle, $0.baseAddress, Int32($0.count), keepDim)
        }
        return wrap(handle, name)
    }

    public func sum(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(TT_SUM, dims, keepDim, "sum") }
    public func sum(dim: Int, keepDim: Bool = false) -> Tensor { reduce(TT_SUM, [dim], keepDim, "sum") }
    public func mean(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(TT_MEAN, dims, keepDim, "mean") }
    public func mean(dim: Int, keepDim: Bool = false) -> Tensor { reduce(TT_MEAN, [dim], keepDim, "mean") }
    public func amax(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(TT_AMAX, dims, keepDim, "amax") }
    public func amin(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(TT_AMIN, dims, keepDim, "amin") }
    public func prod(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(TT_PROD, dims, keepDim, "prod") }
    public func all(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(TT_ALL, dims, keepDim, "all") }
    public func any(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(TT_ANY, dims, keepDim, "any") }
    public func logSumExp(dims: [Int], keepDim: Bool = false) -> Tensor {
        reduce(TT_LOGSUMEXP, dims, keepDim, "logsumexp")
    }
    /// The Euclidean norm over `dims` (all by default).
    public func norm(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(TT_NORM2, dims, keepDim, "norm") }

    /// Variance with Bessel's correction by default (correction 1), as torch.var.
    public func variance(dims: [Int] = [], correction: Double = 1, keepDim: Bool = false) -> Tensor {
        let handle = dims.int64.withUnsafeBufferPointer {
            tt_var(self.handle, $0.baseAddress, Int32($0.count), correction, keepDim, false)
        }
        return wrap(handle, "var")
    }

    /// Standard deviation with Bessel's correction by default, as torch.std.
    public func standardDeviation(dims: [Int] = [], correction: Double = 1, keepDim: Bool = false) -> Tensor {
        let handle = dims.int64.withUnsafeBufferPointer {
            tt_var(self.handle, $0.baseAddress, Int32($0.count), correction, keepDim, true)
        }
        return wrap(handle, "std")
    }

    /// Largest element.
    public func max() -> Tensor { amax() }
    /// Smallest element.
    public func min() -> Tensor { amin() }

    /// Largest values along `dim` and their int64 indices.
    public func max(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        extremum(dim: dim, keepDim: keepDim, isMin: false)
    }

    /// Smallest values along `dim` and their int64 indices.
    public func min(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        extremum(dim: dim, keepDim: keepDim, isMin: true)
    }

    private func extremum(dim: Int, keepDim: Bool, isMin: Bool) -> (values: Tensor, indices: Tensor) {
        var values: tt_tensor?
        var indices: tt_tensor?
        if tt_max_dim(handle, Int64(dim), keepDim, isMin, &values, &indices) != 0 {
            reportFailure(isMin ? "min" : "max")
            return (Tensor(handle: tt_undefined()!), Tensor(handle: tt_undefined()!))
        }
        return (Tensor(handle: values!), Tensor(handle: indices!))
    }

    /// Index of the largest element along `dim`, or of the flattened tensor when nil.
    public func argmax(dim: Int? = nil, keepDim: Bool = false) -> Tensor {
        wrap(tt_argmax(handle, Int64(dim ?? 0), dim != nil, keepDim, false), "argmax")
    }

    public func argmin(dim: Int? = nil, keepDim: Bool = false) -> Tensor {
        wrap(tt_argmax(handle, Int64(dim ?? 0), dim != nil, keepDim, true), "argmin")
    }

    public func cumsum(dim: Int) -> Tensor { wrap(tt_cumsum(handle, Int64(dim)), "cumsum") }
    public func cumprod(dim: Int) -> Tensor { wrap(tt_cumprod(handle, Int64(dim)), "cumprod") }

    /// Sorted values along `dim` and the int64 permutation that sorts them.
    public func sorted(dim: Int = -1, descending: Bool = false) -> (values: Tensor, indices: Tensor) {
        var values: tt_tensor?
        var indices: tt_tensor?
        if tt_sort(handle, Int64(dim), descending, &values, &indices) != 0 {
            reportFailure("sort")
            return (Tensor(handle: tt_undefined()!), Tensor(handle: tt_undefined()!))
        }
        return (Tensor(handle: values!), Tensor(handle: indices!))
    }
}
