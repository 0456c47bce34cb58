import Torch

/// A neural-network building block with named parameters and children, as
/// torch.nn.Module. Full names join keys with ".", giving the same names as
/// diffusers checkpoints: `down_blocks.0.attentions.0.proj_in.weight`.
///
/// Subclasses declare parameters with `@Parameter` and sub-modules with `@Child`,
/// call `super.init()`, then assign them. Order everywhere is PyTorch's: a
/// module's own parameters in declaration order (superclass first), then each
/// child's, depth first.
open class Module {
    /// Training mode (true) or evaluation mode; layers such as `Dropout` read it.
    public internal(set) var training: Bool = true

    public init() {}

    // MARK: Slots

    /// The parameter and child slots found by reflection. Every wrapper is created
    /// before `init` finishes phase one and is never replaced, so the list is
    /// stable once read.
    private lazy var slots:
        (
            parameters: [(key: String, slot: AnyParameterSlot)],
            children: [(key: String, slot: AnyChildSlot)]
        ) = findSlots()

    private func findSlots() -> (
        parameters: [(key: String, slot: AnyParameterSlot)],
        children: [(key: String, slot: AnyChildSlot)]
    ) {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let current = mirror {
            mirrors.append(current)
            mirror = current.superclassMirror
        }
        var parameters: [(key: String, slot: AnyParameterSlot)] = []
        var children: [(key: String, slot: AnyChildSlot)] = []
        for current in mirrors.reversed() {
            for case (let label?, let value) in current.children {
                // A wrapped property `x` is stored as `_x`.
                let propertyName = label.hasPrefix("_") ? String(label.dropFirst()) : label
                if let slot = value as? AnyParameterSlot {
                    parameters.append((slot.key ?? propertyName, slot))
                } else if let slot = value as? AnyChildSlot {
                    children.append((slot.key ?? propertyName, slot))
                }
            }
        }
        return (parameters, children)
    }

    /// Parameter slots of this module only, with their keys.
    var ownParameterSlots: [(key: String, slot: AnyParameterSlot)] { slots.parameters }

    /// Direct children with their full keys ("norm", "to_out.0", "resnets.1"), and
    /// where they sit: the slot and the index inside it.
    var childEntries: [(key: String, module: Module, slot: AnyChildSlot, index: Int)] {
        var entries: [(key: String, module: Module, slot: AnyChildSlot, index: Int)] = []
        for (key, slot) in slots.children {
            for (index, child) in slot.modules.enumerated() {
                let name = child.suffix.map { "\(key).\($0)" } ?? key
                entries.append((name, child.module, slot, index))
            }
        }
        return entries
    }

    // MARK: Traversal

    /// This module (named "") and every descendant, depth first.
    public func namedModules() -> [(name: String, module: Module)] {
        var result: [(name: String, module: Module)] = []
        func visit(_ module: Module, _ path: String) {
            result.append((path, module))
            for entry in module.childEntries {
                visit(entry.module, joinPath(path, entry.key))
            }
        }
        visit(self, "")
        return result
    }

    /// The direct children with their keys.
    public func namedChildren() -> [(name: String, module: Module)] {
        childEntries.map { ($0.key, $0.module) }
    }

    /// Parameter slots of the whole tree with full names (absent optionals left out).
    func namedParameterSlots() -> [(name: String, slot: AnyParameterSlot)] {
        var result: [(name: String, slot: AnyParameterSlot)] = []
        for (path, module) in namedModules() {
            for (key, slot) in module.ownParameterSlots where slot.tensor != nil {
                result.append((joinPath(path, key), slot))
            }
        }
        return result
    }

    /// Every parameter with its full name.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        namedParameterSlots().map { ($0.name, $0.slot.tensor!) }
    }

    /// The parameters that require gradients (what an optimizer should update).
    public func trainableParameters() -> [(name: String, tensor: Tensor)] {
        namedParameters().filter { $0.tensor.requiresGrad }
    }

    /// Every parameter by full name.
    public func parameterDictionary() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: namedParameters().map { ($0.name, $0.tensor) })
    }

    /// The number of parameter elements (all, or only those requiring gradients).
    public func parameterCount(trainableOnly: Bool = false) -> Int {
        let parameters = trainableOnly ? trainableParameters() : namedParameters()
        return parameters.reduce(0) { $0 + $1.tensor.elementCount }
    }

    // MARK: Modes

    /// Switches this module and all descendants to training mode.
    public func train() {
        for (_, module) in namedModules() { module.training = true }
    }

    /// Switches this module and all descendants to evaluation mode.
    public func eval() {
        for (_, module) in namedModules() { module.training = false }
    }

    /// Stops gradients for every parameter.
    public func freeze() { setRequiresGrad(false) }

    /// Lets every floating-point parameter receive gradients again.
    public func unfreeze() { setRequiresGrad(true) }

    private func setRequiresGrad(_ flag: Bool) {
        for (_, tensor) in namedParameters() where tensor.dtype.isFloatingPoint {
            tensor.requiresGrad = flag
        }
    }

    // MARK: Conversion

    /// Converts every floating-point parameter to `dtype` (integer parameters stay
    /// as they are, as in PyTorch). Parameters are replaced by new tensors that keep
    /// their requiresGrad flag, so build optimizers after converting.
    @discardableResult
    public func to(dtype: DType) -> Self {
        convertParameters { $0.dtype.isFloatingPoint ? $0.to(dtype: dtype) : $0 }
    }

    /// Moves every parameter to `device` (see `to(dtype:)` about replacement).
    @discardableResult
    public func to(device: Device) -> Self {
        convertParameters { $0.to(device: device) }
    }

    /// Both conversions in one copy per parameter.
    @discardableResult
    public func to(dtype: DType, device: Device) -> Self {
        convertParameters { $0.dtype.isFloatingPoint ? $0.to(dtype: dtype, device: device) : $0.to(device: device) }
    }

    private func convertParameters(_ convert: (Tensor) -> Tensor) -> Self {
        withNoGrad {
            for (_, slot) in namedParameterSlots() {
                let old = slot.tensor!
                let converted = convert(old)
                if converted === old { continue }
                let parameter = converted.detached()
                if old.requiresGrad { parameter.requiresGrad = true }
                slot.storeExactly(parameter)
            }
        }
        return self
    }
}

/// Joins a module path and a key with "."; the root's path is "".
func joinPath(_ path: String, _ key: String) -> String {
    path.isEmpty ? key : "\(path).\(key)"
}
