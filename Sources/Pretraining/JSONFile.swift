import Foundation

/// Pretty, key-sorted JSON as diffusers and transformers write their config files.
enum JSONFile {
    static func write(_ object: Any, to url: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: object,
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try (data + Data("\n".utf8)).write(to: url)
    }
}
