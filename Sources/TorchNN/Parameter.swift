import Torch

/// Types a `@Parameter` property can have: `Tensor`, or `Tensor?` for a parameter
/// that may be absent (a bias switched off).
public protocol ParameterSlotValue {
    /// The value before the first assignment: nil (unset) for `Tensor`, `.some(nil)`
    /// (absent) for `Tensor?`.
    static var unassignedParameter: Self? { get }
    static func tensor(in value: Self) -> Tensor?
    static func parameterValue(from tensor: Tensor) -> Self
}

extension Tensor: ParameterSlotValue {
    public static var unassignedParameter: Tensor? { nil }
    public static func tensor(in value: Tensor) -> Tensor? { value }
    public static func parameterValue(from tensor: Tensor) -> Tensor { tensor }
}

extension Optional: ParameterSlotValue where Wrapped == Tensor {
    public static var unassignedParameter: Tensor?? { .some(nil) }
    public static func tensor(in value: Tensor?) -> Tensor? { value }
    public static func parameterValue(from tensor: Tensor) -> Tensor? { tensor }
}

/// What `Module` needs from a parameter slot, whatever its value type.
protocol AnyParameterSlot: AnyObject {
    var key: String? { get }
    /// The tensor held, nil when the parameter is absent.
    var tensor: Tensor? { get }
    /// Stores `tensor` exactly as given (keeping its requiresGrad flag); used by
    /// conversions and loading, which manage the flag themselves.
    func storeExactly(_ tensor: Tensor)
}

/// Declares a learnable tensor of a `Module`, named by the property (or by `key`).
///
/// Assigning a tensor makes it a parameter the way `nn.Parameter(t)` does in
/// PyTorch: the stored tensor shares `t`'s storage but is its own autograd leaf,
/// and floating-point parameters require gradients. Assign after `super.init()`
/// (Swift only allows assigning a keyed wrapper's value once `self` is complete).
///
/// The wrapper is a reference box, so `Module` finds every parameter slot by
/// reflection and can swap the tensor inside without knowing the property.
@propertyWrapper
public final class Parameter<Value: ParameterSlotValue>: AnyParameterSlot {
    let key: String?
    private var value: Value?

    public var wrappedValue: Value {
        get {
            guard let value else {
                fatalError("TorchNN.Parameter '\(key ?? "?")' read before a tensor was assigned")
            }
            return value
        }
        set {
            guard let tensor = Value.tensor(in: newValue) else {
                value = newValue
                return
            }
            value = Value.parameterValue(from: Parameter.makeLeaf(tensor))
        }
    }

    public init() {
        key = nil
        value = Value.unassignedParameter
    }

    public init(key: String) {
        self.key = key
        value = Value.unassignedParameter
    }

    public init(wrappedValue: Value) {
        key = nil
        if let tensor = Value.tensor(in: wrappedValue) {
            value = Value.parameterValue(from: Parameter.makeLeaf(tensor))
        } else {
            value = wrappedValue
        }
    }

    var tensor: Tensor? { value.flatMap { Value.tensor(in: $0) } }

    func storeExactly(_ tensor: Tensor) {
        value = Value.parameterValue(from: tensor)
    }

    private static func makeLeaf(_ tensor: Tensor) -> Tensor {
        let leaf = tensor.detached()
        if leaf.dtype.isFloatingPoint { leaf.requiresGrad = true }
        return leaf
    }
}
