/// A model configuration this library cannot build: a feature diffusers has and we do
/// not implement, or values that contradict each other. `field` is the config.json key.
public struct UnsupportedConfigurationError: Error, CustomStringConvertible, Equatable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "field '\(field)': \(message)" }
}

/// The layout check the UNet and the VAE configurations share: one or more positive
/// block widths, and one down and one up block type per width.
func validateBlockLayout(blockOutChannels: [Int], downBlockTypes: [String], upBlockTypes: [String]) throws {
    let count = blockOutChannels.count
    guard count > 0, blockOutChannels.allSatisfy({ $0 > 0 }) else {
        throw UnsupportedConfigurationError(
            field: "block_out_channels",
            message: "must be a non-empty list of positive numbers, got \(blockOutChannels)")
    }
    guard downBlockTypes.count == count else {
        throw UnsupportedConfigurationError(
            field: "down_block_types", message: "has \(downBlockTypes.count) entries for \(count) block_out_channels")
    }
    guard upBlockTypes.count == count else {
        throw UnsupportedConfigurationError(
            field: "up_block_types", message: "has \(upBlockTypes.count) entries for \(count) block_out_channels")
    }
}

/// Any JSON value, to check configuration keys we do not model (they must hold their
/// diffusers default, otherwise the model would silently be built wrong).
enum JSONValue: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "\(value)"
        case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
        case .string(let value): return "\"\(value)\""
        case .array(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .object: return "{...}"
        }
    }
}

extension KeyedDecodingContainer {
    /// Throws an `UnsupportedConfigurationError` unless `key` is absent or holds a value
    /// `isAccepted` allows; `reason` says what the feature is.
    func requireDefault(_ key: Key, reason: String, isAccepted: (JSONValue) -> Bool) throws {
        guard let value = try decodeIfPresent(JSONValue.self, forKey: key), !isAccepted(value) else { return }
        throw UnsupportedConfigurationError(field: key.stringValue, message: "\(value) is not supported (\(reason))")
    }

    /// As above, accepting only null (or an absent key).
    func requireNull(_ key: Key, reason: String) throws {
        try requireDefault(key, reason: reason) { $0 == .null }
    }
}
