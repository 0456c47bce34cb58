/// A training configuration that cannot be used: unreadable or malformed YAML, an
/// unknown key, a value of the wrong type, a bad override or a value that fails
/// validation. `field` is the dotted path of the offending field
/// (`train.learning_rate`), so tools and tests can tell which one; `description`
/// reads as one line for a person: "train.learning_rate: must be > 0, got -1.0".
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// Dotted path of the field ("" for the document as a whole).
    public var field: String
    /// What is wrong, without the field's name.
    public var message: String
    /// The YAML file, when the error came from one.
    public var file: String?

    public init(field: String, message: String, file: String? = nil) {
        self.field = field
        self.message = message
        self.file = file
    }

    public var description: String {
        let location = field.isEmpty ? "" : "\(field): "
        let prefix = file.map { "\($0): " } ?? ""
        return "\(prefix)\(location)\(message)"
    }

    /// The same error, attributed to `file`.
    func inFile(_ path: String) -> ConfigurationError {
        var copy = self
        copy.file = path
        return copy
    }
}
