import Foundation
import Yams

extension TrainingConfiguration {
    /// Reads a YAML file, applies `overrides` ("train.learning_rate=1e-4") to its
    /// tree, then decodes: missing keys take their defaults; an unknown key, an
    /// override of an unknown path or a value of the wrong type throws a
    /// `ConfigurationError` naming the field. Does not validate: call
    /// `validate(knownRewards:)`.
    public static func load(yaml url: URL, overrides: [String] = []) throws -> TrainingConfiguration {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigurationError(
                field: "", message: "cannot read the file (\(error.localizedDescription))",
                file: url.path)
        }
        let tree: Node
        do {
            tree = try parse(text)
        } catch let error as ConfigurationError {
            throw error.inFile(url.path)
        }
        // Errors of the overrides are about the command line, not the file.
        let overridden = try apply(overrides, to: tree)
        do {
            return try decode(overridden)
        } catch let error as ConfigurationError {
            let fromOverride = overrides.contains { $0.hasPrefix(error.field + "=") }
            throw fromOverride ? error : error.inFile(url.path)
        }
    }

    /// `load(yaml:overrides:)` for YAML text (an empty text is the default
    /// configuration).
    public static func decode(yaml text: String, overrides: [String] = []) throws -> TrainingConfiguration {
        try decode(apply(overrides, to: parse(text)))
    }

    private static func parse(_ text: String) throws -> Node {
        do {
            return try Yams.compose(yaml: text) ?? Node([(Node, Node)]())
        } catch {
            throw ConfigurationError(field: "", message: "not valid YAML (\(error))")
        }
    }

    private static func apply(_ overrides: [String], to tree: Node) throws -> Node {
        try overrides.reduce(tree) { tree, override in try ConfigurationOverride(override).apply(to: tree) }
    }

    private static func decode(_ tree: Node) throws -> TrainingConfiguration {
        do {
            return try YAMLDecoder().decode(TrainingConfiguration.self, from: tree)
        } catch {
            throw configurationError(from: error)
        }
    }

    /// The full effective configuration as YAML, every field written (nulls
    /// included), numbers in their shortest exact form; decoding it gives this
    /// configuration back. The trainer saves it in the run folder.
    public func yamlString() -> String {
        do {
            let encoded = try YAMLEncoder().encode(self)
            // Yams writes 0.9 as 9e-1, 1.0 as 1e+0 and some values with 17
            // significant digits: rewrite every float in Swift's shortest form
            // that reads back to the same Double (0.9, 1.0, 0.0003).
            guard let tree = try Yams.compose(yaml: encoded) else { return encoded }
            return try Yams.serialize(node: Self.shortestNumbers(tree))
        } catch {
            preconditionFailure("TrainingConfiguration.yamlString: encoding failed: \(error)")
        }
    }

    private static func shortestNumbers(_ node: Node) -> Node {
        switch node {
        case .scalar(let scalar):
            // Only scalars YAML itself reads as floats: a string that merely parses
            // as a number was written quoted.
            guard Resolver.default.resolveTag(of: node) == .float,
                let number = Double.construct(from: scalar), number.isFinite
            else { return node }
            return Node(number.description, scalar.tag, scalar.style)
        case .mapping(let mapping):
            return Node(mapping.map { ($0.key, shortestNumbers($0.value)) }, mapping.tag, mapping.style)
        case .sequence(let sequence):
            return Node(sequence.map(shortestNumbers), sequence.tag, sequence.style)
        case .alias:
            return node
        }
    }
}
