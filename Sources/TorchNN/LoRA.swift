import Torch

/// The attention projections diffusers and ddpo-pytorch put adapters on.
public let defaultLoRATargets: Set<String> = ["to_q", "to_k", "to_v", "to_out.0"]

/// Replaces every `Linear` of `module` whose path ends in one of `targets` (a
/// whole key: "to_out.0" matches "attn1.to_out.0", not "xto_out.0") by a
/// `LoRALinear` around it, and freezes every other parameter. Returns the
/// replaced paths in module order. Throws when no Linear matches, since training
/// nothing is never what was meant.
@discardableResult
public func applyLoRA(
    to module: Module, targets: Set<String> = defaultLoRATargets, rank: Int, alpha: Double,
    dropout: Double = 0, generator: Generator? = nil
) throws -> [String] {
    let matches = module.namedModules().filter { path, child in
        guard child is Linear, !(child is LoRALinear), !path.isEmpty else { return false }
        return targets.contains { path == $0 || path.hasSuffix("." + $0) }
    }
    guard !matches.isEmpty else {
        throw ModulePathError(path: "", message: "applyLoRA: no Linear's path ends in one of \(targets.sorted())")
    }
    module.freeze()
    for (path, child) in matches {
        let adapter = LoRALinear(
            base: child as! Linear, rank: rank, alpha: alpha, dropout: dropout,
            generator: generator)
        try module.replaceModule(at: path, with: adapter)
    }
    return matches.map { $0.name }
}

extension Module {
    /// Every `LoRALinear` in the tree with its path.
    public func loraLayers() -> [(name: String, layer: LoRALinear)] {
        namedModules().compactMap { path, module in
            (module as? LoRALinear).map { (path, $0) }
        }
    }

    /// The adapter weights only (`….lora_A.weight`, `….lora_B.weight`) by full name.
    public func loraParameters() -> [(name: String, tensor: Tensor)] {
        loraParameterSlots().map { ($0.name, $0.slot.tensor!) }
    }

    /// The adapter weights keyed as PEFT saves them; `prefix` (e.g. "unet.") is
    /// put before every key, as diffusers' `load_lora_weights` expects.
    public func loraStateDictionary(prefix: String = "") -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: loraParameters().map { (prefix + $0.name, $0.tensor) })
    }

    /// Loads adapter weights saved by `loraStateDictionary(prefix:)`: every adapter
    /// weight must be present with its shape, and no other key may start with
    /// `prefix` (the base weights are left alone).
    public func loadLoRA(parameters: [String: Tensor], prefix: String = "") throws {
        try loadParameters(loraParameterSlots(), from: parameters, prefix: prefix, strict: true, dtype: nil)
    }

    /// Turns every adapter on or off (off: the base model's output).
    public func setLoRAAdaptersEnabled(_ enabled: Bool) {
        for (_, layer) in loraLayers() { layer.isAdapterEnabled = enabled }
    }

    /// Runs `body` with every adapter switched off, then restores each layer's own
    /// previous setting, even when `body` throws. This is how a LoRA run gets its
    /// frozen reference model (the base weights) without a second copy of the UNet.
    /// Traps on a fused adapter: its product is inside the base weight.
    public func withLoRADisabled<R>(_ body: () throws -> R) rethrows -> R {
        let layers = loraLayers().map(\.layer)
        precondition(!layers.contains(where: \.isFused), "TorchNN.withLoRADisabled: unfuse the adapters first")
        let previous = layers.map(\.isAdapterEnabled)
        for layer in layers { layer.isAdapterEnabled = false }
        defer { for (layer, enabled) in zip(layers, previous) { layer.isAdapterEnabled = enabled } }
        return try body()
    }

    /// Fuses every adapter that is not fused yet into its base weight.
    public func fuseLoRA() {
        for (_, layer) in loraLayers() where !layer.isFused { layer.fuse() }
    }

    /// Unfuses every fused adapter.
    public func unfuseLoRA() {
        for (_, layer) in loraLayers() where layer.isFused { layer.unfuse() }
    }

    private func loraParameterSlots() -> [(name: String, slot: AnyParameterSlot)] {
        var result: [(name: String, slot: AnyParameterSlot)] = []
        for (path, layer) in loraLayers() {
            for (childKey, child) in [("lora_A", layer.loraA), ("lora_B", layer.loraB)] {
                for (key, slot) in child.ownParameterSlots where slot.tensor != nil {
                    result.append((joinPath(joinPath(path, childKey), key), slot))
                }
            }
        }
        return result
    }
}
