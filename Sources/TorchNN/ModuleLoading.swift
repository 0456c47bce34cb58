import Torch

/// Everything wrong with a set of weights for a module, reported at once so one
/// run shows the whole picture (a renamed block shows up as many missing keys
/// next to as many unused ones).
public struct ModuleLoadingError: Error, CustomStringConvertible {
    public struct ShapeMismatch: Equatable, Sendable {
        public var key: String
        public var expected: [Int]
        public var found: [Int]

        public init(key: String, expected: [Int], found: [Int]) {
            self.key = key
            self.expected = expected
            self.found = found
        }
    }

    /// Keys the module needs that the dictionary lacks, in parameter order.
    public var missingKeys: [String]
    /// Keys in the dictionary (under the prefix) that no parameter uses, sorted.
    public var unusedKeys: [String]
    public var shapeMismatches: [ShapeMismatch]

    public init(missingKeys: [String], unusedKeys: [String], shapeMismatches: [ShapeMismatch]) {
        self.missingKeys = missingKeys
        self.unusedKeys = unusedKeys
        self.shapeMismatches = shapeMismatches
    }

    /// How many entries of each list `description` shows.
    public static let listedPerKind = 20

    public var description: String {
        var counts: [String] = []
        if !missingKeys.isEmpty { counts.append("\(missingKeys.count) missing") }
        if !unusedKeys.isEmpty { counts.append("\(unusedKeys.count) unused") }
        if !shapeMismatches.isEmpty { counts.append("\(shapeMismatches.count) with the wrong shape") }
        var lines = ["loading parameters failed: " + counts.joined(separator: ", ")]
        func list(_ title: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            lines.append("\(title) (\(items.count)):")
            lines += items.prefix(Self.listedPerKind).map { "  \($0)" }
            if items.count > Self.listedPerKind {
                lines.append("  ... and \(items.count - Self.listedPerKind) more")
            }
        }
        list("missing keys", missingKeys)
        list("unused keys", unusedKeys)
        list("wrong shapes", shapeMismatches.map { "\($0.key): module has \($0.expected), weights have \($0.found)" })
        return lines.joined(separator: "\n")
    }
}

extension Module {
    /// Fills every parameter from `parameters[prefix + fullName]`.
    ///
    /// Values are converted to the parameter's device and dtype, or to `dtype`
    /// when given (floating-point parameters only; the parameter is then replaced
    /// by a tensor of that dtype). Each parameter keeps its requiresGrad flag.
    /// Every parameter must be present with its exact shape; with `strict`, every
    /// key starting with `prefix` must be used as well. All problems are reported
    /// in one `ModuleLoadingError`, and nothing is changed when there is one.
    public func load(
        parameters: [String: Tensor], prefix: String = "", strict: Bool = true,
        dtype: DType? = nil
    ) throws {
        try loadParameters(namedParameterSlots(), from: parameters, prefix: prefix, strict: strict, dtype: dtype)
    }

    /// Loading of a chosen set of parameters (all of a module, or only its LoRA weights).
    func loadParameters(
        _ targets: [(name: String, slot: AnyParameterSlot)], from parameters: [String: Tensor],
        prefix: String, strict: Bool, dtype: DType?
    ) throws {
        var missing: [String] = []
        var mismatches: [ModuleLoadingError.ShapeMismatch] = []
        var used = Set<String>()
        var assignments: [(slot: AnyParameterSlot, value: Tensor)] = []
        for (name, slot) in targets {
            let key = prefix + name
            guard let value = parameters[key] else {
                missing.append(key)
                continue
            }
            used.insert(key)
            let expected = slot.tensor!.shape
            if value.shape != expected {
                mismatches.append(.init(key: key, expected: expected, found: value.shape))
                continue
            }
            assignments.append((slot, value))
        }
        let unused =
            strict
            ? parameters.keys.filter { $0.hasPrefix(prefix) && !used.contains($0) }.sorted()
            : []
        if !missing.isEmpty || !unused.isEmpty || !mismatches.isEmpty {
            throw ModuleLoadingError(missingKeys: missing, unusedKeys: unused, shapeMismatches: mismatches)
        }

        try withTorchErrors {
            withNoGrad {
                for (slot, value) in assignments {
                    Self.assign(value, to: slot, dtype: dtype)
                }
            }
        }
    }

    /// Copies `value` into the parameter's storage, or into a new tensor when the
    /// dtype changes, so the loaded dictionary is never aliased (it may be a
    /// read-only memory-mapped file) and optimizers keep their tensors.
    private static func assign(_ value: Tensor, to slot: AnyParameterSlot, dtype: DType?) {
        let current = slot.tensor!
        let target = (dtype != nil && current.dtype.isFloatingPoint) ? dtype! : current.dtype
        if target == current.dtype {
            current.copy(from: value)
            return
        }
        let replacement = Tensor.empty(current.shape, dtype: target, device: current.device)
        replacement.copy(from: value)
        replacement.requiresGrad = current.requiresGrad
        slot.storeExactly(replacement)
    }
}
