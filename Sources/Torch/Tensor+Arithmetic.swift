import CTorch

// Element-wise arithmetic and comparison with broadcasting. Numbers mix with
// tensors the way Python numbers do in PyTorch: an Int keeps an integer tensor
// integral, a Double never widens a float16 tensor.

@inline(__always)
func binaryOp(_ op: tt_binary_op, _ a: Tensor, _ b: Tensor, _ name: StaticString) -> Tensor {
    wrap(tt_binary(Int32(op.rawValue), a.handle, b.handle), name)
}

@inline(__always)
func scalarOp(
    _ op: tt_binary_op, _ a: Tensor, _ s: Double, integral: Bool, left: Bool,
    _ name: StaticString
) -> Tensor {
    wrap(tt_binary_scalar(Int32(op.rawValue), a.handle, s, integral, left), name)
}

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { binaryOp(TT_ADD, a, b, "add") }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binaryOp(TT_SUB, a, b, "sub") }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binaryOp(TT_MUL, a, b, "mul") }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binaryOp(TT_DIV, a, b, "div") }

    public static func + (a: Tensor, s: Double) -> Tensor {
        scalarOp(TT_ADD, a, s, integral: false, left: false, "add")
    }
    public static func - (a: Tensor, s: Double) -> Tensor {
        scalarOp(TT_SUB, a, s, integral: false, left: false, "sub")
    }
    public static func * (a: Tensor, s: Double) -> Tensor {
        scalarOp(TT_MUL, a, s, integral: false, left: false, "mul")
    }
    public static func / (a: Tensor, s: Double) -> Tensor {
        scalarOp(TT_DIV, a, s, integral: false, left: false, "div")
    }
    public static func + (s: Double, a: Tensor) -> Tensor { scalarOp(TT_ADD, a, s, integral: false, left: true, "add") }
    public static func - (s: Double, a: Tensor) -> Tensor { scalarOp(TT_SUB, a, s, integral: false, left: true, "sub") }
    public static func * (s: Double, a: Tensor) -> Tensor { scalarOp(TT_MUL, a, s, integral: false, left: true, "mul") }
    public static func / (s: Double, a: Tensor) -> Tensor { scalarOp(TT_DIV, a, s, integral: false, left: true, "div") }

    public static func + (a: Tensor, s: Int) -> Tensor {
        scalarOp(TT_ADD, a, Double(s), integral: true, left: false, "add")
    }
    public static func - (a: Tensor, s: Int) -> Tensor {
        scalarOp(TT_SUB, a, Double(s), integral: true, left: false, "sub")
    }
    public static func * (a: Tensor, s: Int) -> Tensor {
        scalarOp(TT_MUL, a, Double(s), integral: true, left: false, "mul")
    }
    public static func / (a: Tensor, s: Int) -> Tensor {
        scalarOp(TT_DIV, a, Double(s), integral: true, left: false, "div")
    }
    public static func + (s: Int, a: Tensor) -> Tensor {
        scalarOp(TT_ADD, a, Double(s), integral: true, left: true, "add")
    }
    public static func - (s: Int, a: Tensor) -> Tensor {
        scalarOp(TT_SUB, a, Double(s), integral: true, left: true, "sub")
    }
    public static func * (s: Int, a: Tensor) -> Tensor {
        scalarOp(TT_MUL, a, Double(s), integral: true, left: true, "mul")
    }
    public static func / (s: Int, a: Tensor) -> Tensor {
        scalarOp(TT_DIV, a, Double(s), integral: true, left: true, "div")
    }

    public static prefix func - (a: Tensor) -> Tensor { a.unary(TT_NEG, "neg") }

    public func pow(_ exponent: Tensor) -> Tensor { binaryOp(TT_POW, self, exponent, "pow") }
    /// self ** exponent as PyTorch computes `x ** number` (2 squares, 0.5 takes the square root).
    public func pow(_ exponent: Double) -> Tensor { wrap(tt_pow_scalar(handle, exponent), "pow") }
    public func maximum(_ other: Tensor) -> Tensor { binaryOp(TT_MAXIMUM, self, other, "maximum") }
    public func minimum(_ other: Tensor) -> Tensor { binaryOp(TT_MINIMUM, self, other, "minimum") }
    public func remainder(_ other: Tensor) -> Tensor { binaryOp(TT_REMAINDER, self, other, "remainder") }
    public func atan2(_ other: Tensor) -> Tensor { binaryOp(TT_ATAN2, self, other, "atan2") }

    // Comparisons return bool tensors.
    public static func .== (a: Tensor, b: Tensor) -> Tensor { binaryOp(TT_EQ, a, b, "eq") }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { binaryOp(TT_NE, a, b, "ne") }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { binaryOp(TT_LT, a, b, "lt") }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { binaryOp(TT_LE, a, b, "le") }
    public static func .> (a: Tensor, b: Tensor) -> Tensor { binaryOp(TT_GT, a, b, "gt") }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { binaryOp(TT_GE, a, b, "ge") }
    public static func .== (a: Tensor, s: Double) -> Tensor {
        scalarOp(TT_EQ, a, s, integral: false, left: false, "eq")
    }
    public static func .!= (a: Tensor, s: Double) -> Tensor {
        scalarOp(TT_NE, a, s, integral: false, left: false, "ne")
    }
    public static func .< (a: Tensor, s: Double) -> Tensor { scalarOp(TT_LT, a, s, integral: false, left: false, "lt") }
    public static func .<= (a: Tensor, s: Double) -> Tensor {
        scalarOp(TT_LE, a, s, integral: false, left: false, "le")
    }
    public static func .> (a: Tensor, s: Double) -> Tensor { scalarOp(TT_GT, a, s, integral: false, left: false, "gt") }
    public static func .>= (a: Tensor, s: Double) -> Tensor {
        scalarOp(TT_GE, a, s, integral: false, left: false, "ge")
    }

    public static func .& (a: Tensor, b: Tensor) -> Tensor { binaryOp(TT_LOGICAL_AND, a, b, "logical_and") }
    public static func .| (a: Tensor, b: Tensor) -> Tensor { binaryOp(TT_LOGICAL_OR, a, b, "logical_or") }
    public static prefix func .! (a: Tensor) -> Tensor { a.unary(TT_LOGICAL_NOT, "logical_not") }
}
