import CTorch

// Element-wise functions, clamping and selection.
extension Tensor {
    @inline(__always)
    func unary(_ op: tt_unary_op, _ name: StaticString) -> Tensor {
        wrap(tt_unary(Int32(op.rawValue), handle), name)
    }

    public func exp() -> Tensor { unary(TT_EXP, "exp") }
    public func log() -> Tensor { unary(TT_LOG, "log") }
    public func log1p() -> Tensor { unary(TT_LOG1P, "log1p") }
    public func expm1() -> Tensor { unary(TT_EXPM1, "expm1") }
    public func sqrt() -> Tensor { unary(TT_SQRT, "sqrt") }
    public func rsqrt() -> Tensor { unary(TT_RSQRT, "rsqrt") }
    public func abs() -> Tensor { unary(TT_ABS, "abs") }
    public func square() -> Tensor { unary(TT_SQUARE, "square") }
    public func reciprocal() -> Tensor { unary(TT_RECIPROCAL, "reciprocal") }
    public func sin() -> Tensor { unary(TT_SIN, "sin") }
    public func cos() -> Tensor { unary(TT_COS, "cos") }
    public func tanh() -> Tensor { unary(TT_TANH, "tanh") }
    public func erf() -> Tensor { unary(TT_ERF, "erf") }
    public func floor() -> Tensor { unary(TT_FLOOR, "floor") }
    public func ceil() -> Tensor { unary(TT_CEIL, "ceil") }
    public func rounded() -> Tensor { unary(TT_ROUND, "round") }
    public func sign() -> Tensor { unary(TT_SIGN, "sign") }
    public func isNaN() -> Tensor { unary(TT_ISNAN, "isnan") }
    public func isFinite() -> Tensor { unary(TT_ISFINITE, "isfinite") }

    /// Limits values to [min, max]; either bound may be omitted.
    public func clamped(min: Double? = nil, max: Double? = nil) -> Tensor {
        wrap(tt_clamp(handle, min ?? 0, max ?? 0, min != nil, max != nil), "clamp")
    }

    /// a + weight * (b - a).
    public func lerp(_ end: Tensor, weight: Double) -> Tensor {
        wrap(tt_lerp(handle, end.handle, weight), "lerp")
    }

    /// Elements of `self` where `condition` is true, else of `other` (broadcast).
    public func replacing(where condition: Tensor, with other: Tensor) -> Tensor {
        Tensor.where(condition, other, self)
    }

    /// torch.where(condition, a, b).
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        wrap(tt_where(condition.handle, a.handle, b.handle), "where")
    }

    /// Sets elements where `mask` is true to `value`.
    public func maskedFill(_ mask: Tensor, value: Double) -> Tensor {
        wrap(tt_masked_fill(handle, mask.handle, value), "masked_fill")
    }
}
