/// Which reward to use, as a configuration file says it: either a bare name,
/// `reward: jpeg_compressibility`, or an object with a name and options,
/// `reward: {name: remote, url: "http://127.0.0.1:8000", timeout_s: 30}`.
///
/// Option values are kept as strings (numbers and booleans in the file are
/// converted) and parsed by the reward's factory, which names the option on error.
public struct RewardConfiguration: Codable, Equatable, Sendable {
    public var name: String
    public var options: [String: String]

    public init(name: String, options: [String: String] = [:]) {
        self.name = name
        self.options = options
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            self.init(name: name)
            return
        }
        let container = try decoder.container(keyedBy: Key.self)
        let name = try container.decode(String.self, forKey: Key(stringValue: "name"))
        var options: [String: String] = [:]
        for key in container.allKeys where key.stringValue != "name" {
            options[key.stringValue] = try Self.scalarString(container, key)
        }
        self.init(name: name, options: options)
    }

    /// A bare name when there are no options, so a configuration round-trips to the form it was written in.
    public func encode(to encoder: Encoder) throws {
        if options.isEmpty {
            var single = encoder.singleValueContainer()
            try single.encode(name)
            return
        }
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(name, forKey: Key(stringValue: "name"))
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            try container.encode(value, forKey: Key(stringValue: key))
        }
    }

    // Integers before doubles so `retries: 3` reads back as "3", not "3.0".
    private static func scalarString(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> String {
        if let value = try? container.decode(String.self, forKey: key) { return value }
        if let value = try? container.decode(Int.self, forKey: key) { return String(value) }
        if let value = try? container.decode(Double.self, forKey: key) { return String(value) }
        if let value = try? container.decode(Bool.self, forKey: key) { return String(value) }
        throw DecodingError.typeMismatch(
            String.self,
            DecodingError.Context(
                codingPath: container.codingPath + [key],
                debugDescription: "a reward option must be a string, a number or a boolean"))
    }
}
