import Torch

/// A `Linear` with a low-rank adapter (LoRA): y = W x + b + (α / r) · B A dropout(x).
///
/// The base `weight` and `bias` are the wrapped layer's tensors (shared, frozen);
/// the adapter is `lora_A` (Linear in → r, kaiming-uniform like any Linear) and
/// `lora_B` (Linear r → out, zeros, so a new adapter changes nothing), which gives
/// PEFT's parameter names: `weight`, `bias`, `lora_A.weight`, `lora_B.weight`.
/// The adapter is created in float32 on the base weight's device; inputs are cast
/// to its dtype and its output back, so a float16 base can carry a float32 adapter.
public final class LoRALinear: Linear {
    public let rank: Int
    public let alpha: Double
    @Child(key: "lora_A") public var loraA: Linear
    @Child(key: "lora_B") public var loraB: Linear
    @Child(key: "lora_dropout") public var loraDropout: Dropout

    /// Off: the layer computes the base output only (e.g. for a KL reference
    /// without a second copy of the model).
    public var isAdapterEnabled = true
    /// Whether the adapter's product is currently added into `weight`.
    public private(set) var isFused = false

    /// The factor α / r applied to the adapter's output.
    public var scale: Double { alpha / Double(rank) }

    public init(
        base: Linear, rank: Int, alpha: Double, dropout: Double = 0, adapterDType: DType = .float32,
        generator: Generator? = nil
    ) {
        precondition(rank > 0, "TorchNN.LoRALinear: rank must be positive, got \(rank)")
        self.rank = rank
        self.alpha = alpha
        super.init(weight: base.weight, bias: base.bias)
        let device = base.weight.device
        loraA = withAdapterScope(dtype: adapterDType, device: device) {
            Linear(base.inFeatures, rank, bias: false, generator: generator)
        }
        loraB = withAdapterScope(dtype: adapterDType, device: device) {
            Linear(weight: ParameterInitializer.constant([base.outFeatures, rank], value: 0), bias: nil)
        }
        loraDropout = Dropout(p: dropout)
        weight.requiresGrad = false
        bias?.requiresGrad = false
        if !base.training { eval() }
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        let base = linear(x, weight: weight, bias: bias)
        if isFused {
            precondition(isAdapterEnabled, "TorchNN.LoRALinear: unfuse() before disabling a fused adapter")
            return base
        }
        guard isAdapterEnabled else { return base }
        let input = loraDropout(x.to(dtype: loraA.weight.dtype))
        let update = loraB(loraA(input)) * scale
        return base + update.to(dtype: base.dtype)
    }

    /// Adds scale · B A into `weight`, so the forward pass costs one matmul.
    public func fuse() {
        precondition(!isFused, "TorchNN.LoRALinear: already fused")
        withNoGrad { weight.add(delta(), alpha: 1) }
        isFused = true
    }

    /// Subtracts the adapter's product back out of `weight`.
    public func unfuse() {
        precondition(isFused, "TorchNN.LoRALinear: not fused")
        withNoGrad { weight.add(delta(), alpha: -1) }
        isFused = false
    }

    /// scale · B A in the base weight's dtype and device.
    private func delta() -> Tensor {
        (loraB.weight.matmul(loraA.weight) * scale).to(dtype: weight.dtype, device: weight.device)
    }
}

/// Adapters keep the caller's random/uninitialised choice but their own dtype and device.
private func withAdapterScope<R>(dtype: DType, device: Device, _ body: () -> R) -> R {
    withParameterInitialization(ParameterCreationScope.current.initialization, dtype: dtype, device: device, body)
}
