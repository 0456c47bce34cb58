import CTorch

// Neural-network functions (torch.nn.functional). Activations are methods on
// Tensor; ops that take weights are free functions.

/// How GELU is computed: exactly (erf) or with the tanh approximation.
public enum GELUApproximation: Sendable {
    case none
    case tanh
}

extension Tensor {
    public func relu() -> Tensor { unary(TT_RELU, "relu") }
    public func sigmoid() -> Tensor { unary(TT_SIGMOID, "sigmoid") }
    public func silu() -> Tensor { unary(TT_SILU, "silu") }
    public func gelu(approximate: GELUApproximation = .none) -> Tensor {
        approximate == .none ? unary(TT_GELU, "gelu") : unary(TT_GELU_TANH, "gelu")
    }
    /// x * sigmoid(1.702 x), the activation of OpenAI's CLIP.
    public func quickGELU() -> Tensor { self * (self * 1.702).sigmoid() }

    public func softmax(dim: Int) -> Tensor { wrap(tt_softmax(handle, Int64(dim), false), "softmax") }
    public func logSoftmax(dim: Int) -> Tensor { wrap(tt_softmax(handle, Int64(dim), true), "log_softmax") }

    public func matmul(_ other: Tensor) -> Tensor { wrap(tt_matmul(handle, other.handle), "matmul") }
    public func bmm(_ other: Tensor) -> Tensor { wrap(tt_bmm(handle, other.handle), "bmm") }
}

/// beta * input + alpha * (batch1 @ batch2).
public func baddbmm(_ input: Tensor, _ batch1: Tensor, _ batch2: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor
{
    wrap(tt_baddbmm(input.handle, batch1.handle, batch2.handle, beta, alpha), "baddbmm")
}

/// x @ weight^T + bias.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    wrap(tt_linear(x.handle, weight.handle, bias?.handle), "linear")
}

public func conv2d(
    _ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
    dilation: Int = 1, groups: Int = 1
) -> Tensor {
    conv2d(
        x, weight: weight, bias: bias, stride: (stride, stride), padding: (padding, padding),
        dilation: (dilation, dilation), groups: groups)
}

public func conv2d(
    _ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int),
    dilation: (Int, Int), groups: Int
) -> Tensor {
    let s: [Int64] = [Int64(stride.0), Int64(stride.1)]
    let p: [Int64] = [Int64(padding.0), Int64(padding.1)]
    let d: [Int64] = [Int64(dilation.0), Int64(dilation.1)]
    return wrap(tt_conv2d(x.handle, weight.handle, bias?.handle, s, p, d, Int64(groups)), "conv2d")
}

/// Nearest-neighbour upsampling of NCHW input to the given size.
public func upsampleNearest2d(_ x: Tensor, height: Int, width: Int) -> Tensor {
    wrap(tt_upsample_nearest2d(x.handle, Int64(height), Int64(width)), "upsample_nearest2d")
}

/// Nearest-neighbour upsampling by an integer factor (F.interpolate(scale_factor=s, mode="nearest")).
public func upsampleNearest2d(_ x: Tensor, scale: Int) -> Tensor {
    let shape = x.shape
    precondition(shape.count == 4, "Torch.upsampleNearest2d: expected NCHW input, got shape \(shape)")
    return upsampleNearest2d(x, height: shape[2] * scale, width: shape[3] * scale)
}

public enum InterpolationMode: Sendable {
    case bilinear
    case bicubic
}

/// Bilinear or bicubic resizing of NCHW input (F.interpolate).
public func interpolate(
    _ x: Tensor, height: Int, width: Int, mode: InterpolationMode,
    alignCorners: Bool = false, antialias: Bool = false
) -> Tensor {
    switch mode {
    case .bilinear:
        return wrap(
            tt_interpolate_bilinear(x.handle, Int64(height), Int64(width), alignCorners, antialias),
            "interpolate")
    case .bicubic:
        return wrap(
            tt_interpolate_bicubic(x.handle, Int64(height), Int64(width), alignCorners, antialias),
            "interpolate")
    }
}

public func avgPool2d(_ x: Tensor, kernel: Int, stride: Int) -> Tensor {
    wrap(tt_avg_pool2d(x.handle, Int64(kernel), Int64(stride)), "avg_pool2d")
}

public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Double = 1e-5) -> Tensor {
    wrap(tt_group_norm(x.handle, Int64(groups), weight?.handle, bias?.handle, eps), "group_norm")
}

/// Layer normalisation over the trailing dimensions `normalizedShape`.
public func layerNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor?, bias: Tensor?, eps: Double = 1e-5) -> Tensor
{
    let handle = normalizedShape.int64.withUnsafeBufferPointer {
        tt_layer_norm(x.handle, $0.baseAddress, Int32($0.count), weight?.handle, bias?.handle, eps)
    }
    return wrap(handle, "layer_norm")
}

/// softmax(q k^T * scale + mask) v over [..., L, E] inputs; scale defaults to 1/sqrt(E).
public func scaledDotProductAttention(
    query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil,
    isCausal: Bool = false, scale: Double? = nil
) -> Tensor {
    wrap(
        tt_scaled_dot_product_attention(
            query.handle, key.handle, value.handle, mask?.handle, isCausal,
            scale ?? 0, scale != nil), "scaled_dot_product_attention")
}

/// Zeroes elements with probability p and rescales the rest when `training`;
/// identity otherwise.
public func dropout(_ x: Tensor, p: Double, training: Bool) -> Tensor {
    if !training || p == 0 { return x }
    return wrap(tt_dropout(x.handle, p, training), "dropout")
}

/// Rows of `weight` picked by integer `indices`.
public func embedding(_ indices: Tensor, weight: Tensor) -> Tensor {
    wrap(tt_embedding(weight.handle, indices.handle), "embedding")
}
