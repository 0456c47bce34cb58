/// A configuration value diffusers accepts either once for every block (`8`) or once
/// per block (`[5, 10, 20, 20]`), such as `attention_head_dim` or `layers_per_block`.
public enum PerBlockValue<Value: Codable & Equatable>: Codable, Equatable {
    case same(Value)
    case perBlock([Value])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let list = try? container.decode([Value].self) {
            self = .perBlock(list)
        } else {
            self = .same(try container.decode(Value.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .same(let value): try container.encode(value)
        case .perBlock(let values): try container.encode(values)
        }
    }

    /// The value of every block, for `blockCount` blocks; nil when a list has another length.
    public func values(blockCount: Int) -> [Value]? {
        switch self {
        case .same(let value): return Array(repeating: value, count: blockCount)
        case .perBlock(let values): return values.count == blockCount ? values : nil
        }
    }

    /// All values given, once each.
    var allValues: [Value] {
        switch self {
        case .same(let value): return [value]
        case .perBlock(let values): return values
        }
    }
}

extension PerBlockValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .same(let value): return "\(value)"
        case .perBlock(let values): return "\(values)"
        }
    }
}
