import CTorch

// Reverse-mode automatic differentiation, as torch.autograd.
extension Tensor {
    /// Whether operations on this tensor are recorded for differentiation.
    /// Setting it is only allowed on leaf tensors (those not produced by an op).
    public var requiresGrad: Bool {
        get { tt_requires_grad(handle) }
        set { check(tt_set_requires_grad(handle, newValue), "requires_grad_") }
    }

    /// This tensor, marked as requiring gradients (for chaining at creation).
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        requiresGrad = flag
        return self
    }

    public var isLeaf: Bool { tt_is_leaf(handle) }

    /// Accumulates d(self)/d(leaf) * gradient into the `grad` of every leaf that
    /// requires it. `gradient` may be omitted for a one-element tensor.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) {
        check(tt_backward(handle, gradient?.handle, retainGraph), "backward")
    }

    /// The accumulated gradient, nil when none has been computed; assigning nil
    /// clears it (PyTorch's zero_grad(set_to_none=True)).
    public var grad: Tensor? {
        get {
            let g = wrap(tt_grad(handle), "grad")
            return g.isDefined ? g : nil
        }
        set { check(tt_set_grad(handle, newValue?.handle), "set_grad") }
    }

    /// Clears the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// The same values, cut off from the autograd graph.
    public func detached() -> Tensor { wrap(tt_detach(handle), "detach") }
}

/// Gradients of `outputs` (weighted by `gradOutputs`, needed for non-scalar
/// outputs) with respect to `inputs`, without touching their `.grad`. nil marks an
/// input that does not influence the outputs.
public func gradients(
    of outputs: [Tensor], withRespectTo inputs: [Tensor], gradOutputs: [Tensor?]? = nil,
    retainGraph: Bool = false
) -> [Tensor?] {
    let outputHandles: [tt_tensor?] = outputs.map { $0.handle }
    let inputHandles: [tt_tensor?] = inputs.map { $0.handle }
    let gradHandles: [tt_tensor?] = (gradOutputs ?? outputs.map { _ in nil }).map { $0?.handle }
    precondition(
        gradHandles.count == outputs.count,
        "Torch.gradients: \(gradHandles.count) gradOutputs for \(outputs.count) outputs")
    var out = [tt_tensor?](repeating: nil, count: inputs.count)
    let status = withExtendedLifetime((outputs, inputs, gradOutputs)) {
        tt_autograd_grad(
            outputHandles, gradHandles, Int32(outputs.count), inputHandles, Int32(inputs.count),
            retainGraph, &out)
    }
    if status != 0 {
        reportFailure("autograd.grad")
        return inputs.map { _ in nil }
    }
    return out.map { handle in
        let t = Tensor(handle: handle!)
        return t.isDefined ? t : nil
    }
}

/// Whether autograd records operations on this thread.
public var isGradEnabled: Bool { tt_grad_enabled() }

/// Runs `body` with autograd recording off on this thread (torch.no_grad), then
/// restores the previous mode.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = tt_grad_enabled()
    tt_set_grad_enabled(false)
    defer { tt_set_grad_enabled(previous) }
    return try body()
}

/// Runs `body` with autograd recording on (torch.enable_grad), then restores.
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = tt_grad_enabled()
    tt_set_grad_enabled(true)
    defer { tt_set_grad_enabled(previous) }
    return try body()
}
