import Files
import Foundation

/// Pretty, key-sorted JSON as diffusers and transformers write their config files.
///
/// Written by hand rather than with JSONSerialization, which prints 1.0 as `1`:
/// transformers' strict config classes then refuse e.g. `initializer_factor`
/// ("expected float, got int"). Swift values keep their type inside `Any`, so an
/// Int prints as `1` and a Double as `1.0`.
enum JSONFile {
    static func write(_ object: Any, to url: URL) throws {
        try Data((text(object, indent: "") + "\n").utf8).write(to: url)
    }

    /// vocab.json in id order, as CLIP's own file lists it.
    static func writeVocabulary(_ vocabulary: [String: Int], to url: URL) throws {
        let lines = vocabulary.sorted { $0.value < $1.value }.map { "  \(JSONText.quoted($0.key)): \($0.value)" }
        try Data(("{\n" + lines.joined(separator: ",\n") + "\n}\n").utf8).write(to: url)
    }

    static func text(_ value: Any, indent: String) -> String {
        let inner = indent + "  "
        switch value {
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let d as Double:
            precondition(d.isFinite, "JSON has no \(d)")
            return d == d.rounded() && abs(d) < 1e15 ? "\(Int(d)).0" : "\(d)"
        case let s as String: return JSONText.quoted(s)
        case is NSNull: return "null"
        case let array as [Any]:
            if array.isEmpty { return "[]" }
            return "[\n" + array.map { inner + text($0, indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case let object as [String: Any]:
            if object.isEmpty { return "{}" }
            let entries = object.keys.sorted().map {
                inner + JSONText.quoted($0) + ": " + text(object[$0]!, indent: inner)
            }
            return "{\n" + entries.joined(separator: ",\n") + "\n\(indent)}"
        default:
            preconditionFailure("JSONFile: cannot write a \(type(of: value))")
        }
    }
}
