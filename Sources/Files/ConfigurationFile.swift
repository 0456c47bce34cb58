import Foundation

/// A configuration file that is missing, unreadable or has a bad field; the
/// message names the file and the field.
public struct ConfigurationFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// Decoding of JSON configuration files (diffusers' config.json and friends).
public enum ConfigurationFile {
    public static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ConfigurationFileError(
                path: url.path, message: "cannot read the file (\(error.localizedDescription))")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ConfigurationFileError(path: url.path, message: describe(error))
        }
    }

    /// A one-line description of a decoding error that names the field.
    public static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing required field '\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context))' has the wrong type (expected \(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context))' is null (expected \(type))"
        case .dataCorrupted(let context):
            let field = path(context)
            return field.isEmpty
                ? "not valid JSON (\(context.debugDescription))"
                : "field '\(field)': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
