/// Types a `@Child` property can have: a `Module` subclass, an array of one
/// (children named `key.0`, `key.1`, ...), or an optional of either.
///
/// The requirements are static so they do not show up as members of every module;
/// `Self` is the property's declared type, which is what makes a replacement
/// type-checked against the slot rather than against the module currently in it.
public protocol ChildSlotValue {
    /// The value before the first assignment: nil (unset), or `.some(nil)` for optionals.
    static var unassignedChild: Self? { get }
    /// The modules held, each with its key suffix (nil for the value itself, "0",
    /// "1", ... for array elements) in order.
    static func childModules(in value: Self) -> [(suffix: String?, module: Module)]
    /// `value` with its `index`-th module (in `childModules` order) replaced by
    /// `module`, or nil when `module` is not of the slot's type.
    static func replacingChild(in value: Self, at index: Int, with module: Module) -> Self?
}

extension Module: ChildSlotValue {
    public static var unassignedChild: Self? { nil }

    public static func childModules(in value: Module) -> [(suffix: String?, module: Module)] {
        [(nil, value)]
    }

    public static func replacingChild(in value: Module, at index: Int, with module: Module) -> Self? {
        module as? Self
    }
}

extension Array: ChildSlotValue where Element: Module {
    public static var unassignedChild: [Element]? { nil }

    public static func childModules(in value: [Element]) -> [(suffix: String?, module: Module)] {
        value.enumerated().map { (String($0.offset), $0.element) }
    }

    public static func replacingChild(in value: [Element], at index: Int, with module: Module) -> [Element]? {
        guard let element = module as? Element, value.indices.contains(index) else { return nil }
        var copy = value
        copy[index] = element
        return copy
    }
}

extension Optional: ChildSlotValue where Wrapped: ChildSlotValue {
    public static var unassignedChild: Wrapped?? { .some(nil) }

    public static func childModules(in value: Wrapped?) -> [(suffix: String?, module: Module)] {
        value.map { Wrapped.childModules(in: $0) } ?? []
    }

    public static func replacingChild(in value: Wrapped?, at index: Int, with module: Module) -> Wrapped?? {
        guard let value, let replaced = Wrapped.replacingChild(in: value, at: index, with: module) else { return nil }
        return .some(replaced)
    }
}

/// What `Module` needs from a child slot, whatever its value type.
protocol AnyChildSlot: AnyObject {
    var key: String? { get }
    /// The modules held with their key suffixes; empty while unset or absent.
    var modules: [(suffix: String?, module: Module)] { get }
    /// Replaces the `index`-th module; false when `module` does not fit the slot's type.
    func replace(at index: Int, with module: Module) -> Bool
}

/// Declares a sub-module of a `Module`, named by the property (or by `key`, which
/// may contain dots, e.g. "to_out.0"). Assign after `super.init()`.
///
/// The wrapper is a reference box, so `Module` finds every child by reflection
/// and `replaceModule(at:with:)` can swap one in place.
@propertyWrapper
public final class Child<Value: ChildSlotValue>: AnyChildSlot {
    let key: String?
    private var value: Value?

    public var wrappedValue: Value {
        get {
            guard let value else {
                fatalError("TorchNN.Child '\(key ?? "?")' read before a module was assigned")
            }
            return value
        }
        set { value = newValue }
    }

    public init() {
        key = nil
        value = Value.unassignedChild
    }

    public init(key: String) {
        self.key = key
        value = Value.unassignedChild
    }

    public init(wrappedValue: Value) {
        key = nil
        value = wrappedValue
    }

    var modules: [(suffix: String?, module: Module)] {
        value.map { Value.childModules(in: $0) } ?? []
    }

    func replace(at index: Int, with module: Module) -> Bool {
        guard let value, let replaced = Value.replacingChild(in: value, at: index, with: module) else { return false }
        self.value = replaced
        return true
    }
}
