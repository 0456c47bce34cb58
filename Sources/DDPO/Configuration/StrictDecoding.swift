// Decoding helpers shared by the configuration sections. They give the three
// behaviours the configuration promises whatever the decoder (YAML or JSON):
// a missing key takes its default, an unknown key is an error that names it, and
// a value of the wrong type is an error that names the field's dotted path.

/// Any string key: lets a section list the keys a mapping actually holds.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// "train.learning_rate" for a coding path (list positions as numbers: "lora.targets.1").
func dottedPath(_ codingPath: [CodingKey]) -> String {
    codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
}

/// A part of the configuration that is written as a YAML mapping; `expectation`
/// says so in type errors.
protocol ConfigurationSection {
    static var expectation: String { get }
}

extension ConfigurationSection {
    static var expectation: String { "a mapping" }
}

/// A closed set of names chosen in the configuration (algorithm, strategy, ...);
/// decoded with an error that lists the valid names.
protocol ConfigurationChoice: RawRepresentable, CaseIterable, Codable where RawValue == String {}

extension ConfigurationChoice {
    static var validNames: [String] { allCases.map(\.rawValue) }
}

extension AdvantageStrategy: ConfigurationChoice {}

extension P3OObjective.Clipping: ConfigurationChoice {}

extension Decoder {
    /// The keyed container of a section, after checking that every key it holds is
    /// one of `Keys`: a misspelt key ("learnig_rate") must not silently leave the
    /// default in place.
    func strictContainer<Keys: CodingKey & CaseIterable>(keyedBy keys: Keys.Type) throws
        -> KeyedDecodingContainer<Keys>
    {
        let known = Keys.allCases.map(\.stringValue)
        let all = try container(keyedBy: AnyCodingKey.self)
        let unknown = all.allKeys.map(\.stringValue).filter { !known.contains($0) }
        if let first = unknown.first {
            let section = dottedPath(codingPath)
            let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
            throw ConfigurationError(
                field: dottedPath(codingPath + [AnyCodingKey(stringValue: first)]),
                message: "unknown key\(unknown.count > 1 ? "s" : "") \(names)"
                    + " in \(section.isEmpty ? "the top level" : section)"
                    + Suggestion.didYouMean(first, among: known)
                    + " (known keys: \(known.joined(separator: ", ")))")
        }
        return try container(keyedBy: keys)
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or `defaultValue` when the key is absent. An explicit
    /// null is an error for a non-optional field: `learning_rate:` with nothing
    /// after it is more likely a slip than a wish for the default.
    func value<T: Decodable>(_ key: Key, default defaultValue: T) throws -> T {
        guard contains(key) else { return defaultValue }
        if try decodeNil(forKey: key) {
            throw ConfigurationError(
                field: dottedPath(codingPath + [key]),
                message: "is null; give \(describeType(T.self)) or leave the key out for the default")
        }
        return try typed(key, T.self)
    }

    /// An optional field: absent or null gives nil.
    func optionalValue<T: Decodable>(_ key: Key) throws -> T? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try typed(key, T.self)
    }

    /// A choice among `T.validNames`, or `defaultValue` when the key is absent.
    func choice<T: ConfigurationChoice>(_ key: Key, default defaultValue: T) throws -> T {
        let name = try value(key, default: defaultValue.rawValue)
        guard let choice = T(rawValue: name) else {
            throw ConfigurationError(
                field: dottedPath(codingPath + [key]),
                message: Suggestion.unknownName("value", name, valid: T.validNames))
        }
        return choice
    }

    /// Decodes, turning a type mismatch into an error that names the field and
    /// quotes the value that was there.
    private func typed<T: Decodable>(_ key: Key, _ type: T.Type) throws -> T {
        do {
            return try decode(type, forKey: key)
        } catch let error as DecodingError {
            guard case .typeMismatch(_, let context) = error else { throw error }
            let found = (try? decode(String.self, forKey: key)).map { ", got '\($0)'" } ?? ""
            // The mismatch may sit deeper than the key: an element of a list or a
            // value of a mapping, which in this configuration are always strings.
            if context.codingPath.count > codingPath.count + 1 {
                throw ConfigurationError(field: dottedPath(context.codingPath), message: "expected a string")
            }
            throw ConfigurationError(
                field: dottedPath(codingPath + [key]), message: "expected \(describeType(type))\(found)")
        }
    }
}

/// "a number", "an integer", ... for error messages a person reads.
func describeType(_ type: Any.Type) -> String {
    switch type {
    case is Double.Type, is Float.Type: return "a number"
    case is Int.Type: return "an integer"
    case is UInt64.Type: return "a non-negative integer"
    case is Bool.Type: return "true or false"
    case is String.Type: return "a string"
    case is [String].Type: return "a list of strings"
    case is [String: String].Type: return "a mapping"
    case is [TrainingConfiguration.TaskEntry].Type: return "a list of tasks"
    case let section as ConfigurationSection.Type: return section.expectation
    default: return "\(type)"
    }
}

/// A decoding error as a `ConfigurationError` that names the field.
func configurationError(from error: Error) -> Error {
    guard let error = error as? DecodingError else { return error }
    switch error {
    case .typeMismatch(let type, let context):
        return ConfigurationError(field: dottedPath(context.codingPath), message: "expected \(describeType(type))")
    case .valueNotFound(let type, let context):
        return ConfigurationError(
            field: dottedPath(context.codingPath), message: "is null (expected \(describeType(type)))")
    case .keyNotFound(let key, let context):
        return ConfigurationError(field: dottedPath(context.codingPath + [key]), message: "is required")
    case .dataCorrupted(let context):
        return ConfigurationError(field: dottedPath(context.codingPath), message: context.debugDescription)
    @unknown default:
        return error
    }
}
