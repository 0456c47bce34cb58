import CTorch

/// AdamW with decoupled weight decay, computing exactly what torch.optim.AdamW
/// (single-tensor algorithm, amsgrad off) computes.
public final class AdamW {
    public struct Configuration: Equatable, Sendable {
        public var learningRate: Double
        public var beta1: Double
        public var beta2: Double
        public var epsilon: Double
        public var weightDecay: Double

        public init(
            learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
            weightDecay: Double = 1e-2
        ) {
            self.learningRate = learningRate
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.weightDecay = weightDecay
        }
    }

    /// The optimised parameters with the names their state is saved under.
    public let parameters: [(name: String, tensor: Tensor)]
    public var configuration: Configuration
    /// Optimizer steps taken so far.
    public private(set) var step: Int = 0
    private var expAvg: [Tensor]
    private var expAvgSq: [Tensor]

    public init(parameters: [(name: String, tensor: Tensor)], configuration: Configuration = Configuration()) {
        var seen = Set<String>()
        for (name, _) in parameters {
            precondition(seen.insert(name).inserted, "AdamW: parameter name '\(name)' appears twice")
        }
        self.parameters = parameters
        self.configuration = configuration
        self.expAvg = parameters.map { $0.tensor.detached().zerosLike() }
        self.expAvgSq = parameters.map { $0.tensor.detached().zerosLike() }
    }

    /// Parameters named by their position ("0", "1", ...).
    public convenience init(_ tensors: [Tensor], configuration: Configuration = Configuration()) {
        self.init(
            parameters: tensors.enumerated().map { (String($0.offset), $0.element) },
            configuration: configuration)
    }

    /// Updates every parameter that has a gradient.
    public func update() {
        step += 1
        let c = configuration
        let params: [tt_tensor?] = parameters.map { $0.tensor.handle }
        let m: [tt_tensor?] = expAvg.map { $0.handle }
        let v: [tt_tensor?] = expAvgSq.map { $0.handle }
        check(
            tt_adamw_step(
                params, m, v, Int32(params.count), Int64(step), c.learningRate, c.beta1, c.beta2,
                c.epsilon, c.weightDecay), "adamw_step")
    }

    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for (_, tensor) in parameters { tensor.zeroGrad() }
    }

    /// The state as named tensors: "step", "<name>.exp_avg", "<name>.exp_avg_sq".
    public func stateTensors() -> [String: Tensor] {
        var out: [String: Tensor] = ["step": Tensor([Int64(step)], shape: [])]
        for (i, (name, _)) in parameters.enumerated() {
            out["\(name).exp_avg"] = expAvg[i]
            out["\(name).exp_avg_sq"] = expAvgSq[i]
        }
        return out
    }

    /// Restores state written by `stateTensors()`; every entry must be present
    /// with the parameter's shape.
    public func loadState(_ state: [String: Tensor]) throws {
        guard let stepTensor = state["step"], stepTensor.elementCount == 1 else {
            throw TorchError(operation: "AdamW.loadState", message: "missing or malformed 'step' entry")
        }
        var newAvg: [Tensor] = []
        var newAvgSq: [Tensor] = []
        var problems: [String] = []
        for (name, tensor) in parameters {
            for (suffix, target) in [("exp_avg", 0), ("exp_avg_sq", 1)] {
                let key = "\(name).\(suffix)"
                guard let value = state[key] else {
                    problems.append("missing '\(key)'")
                    continue
                }
                guard value.shape == tensor.shape else {
                    problems.append("'\(key)' has shape \(value.shape), parameter has \(tensor.shape)")
                    continue
                }
                let converted = value.to(dtype: tensor.dtype, device: tensor.device).clone()
                if target == 0 { newAvg.append(converted) } else { newAvgSq.append(converted) }
            }
        }
        if !problems.isEmpty {
            throw TorchError(operation: "AdamW.loadState", message: problems.joined(separator: "; "))
        }
        expAvg = newAvg
        expAvgSq = newAvgSq
        step = stepTensor.itemInt()
    }
}

/// Rescales the gradients of `parameters` so their joint norm is at most
/// `maxNorm` (torch.nn.utils.clip_grad_norm_); returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Double, normType: Double = 2) -> Double {
    let handles: [tt_tensor?] = parameters.map { $0.handle }
    var total = 0.0
    withExtendedLifetime(parameters) {
        check(tt_clip_grad_norm(handles, Int32(handles.count), maxNorm, normType, &total), "clip_grad_norm")
    }
    return total
}
