import Foundation

/// The secret every request to the labelling server carries (`?token=...`). The
/// server listens on a local port that any program on the machine, and any web page
/// the person's browser opens, can reach; the token is what tells the page that
/// `ddpo label` printed apart from them (a page elsewhere that points at
/// 127.0.0.1:8470 cannot read or write labels without it).
public struct LabellingToken: Sendable, CustomStringConvertible {
    public let value: String

    /// The characters a token may have: those a URL's query carries as they are, so
    /// the printed URL needs no escaping.
    static let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    public static let maximumLength = 256

    /// A given token; nil, with `problem(with:)` saying why, unless it has 1 to 256
    /// characters, each a letter, digit, '-', '.', '_' or '~'.
    public init?(_ value: String) {
        guard Self.problem(with: value) == nil else { return nil }
        self.value = value
    }

    /// What is wrong with a token someone chose, or nil.
    public static func problem(with value: String) -> String? {
        if value.isEmpty { return "the token is empty" }
        if value.count > maximumLength { return "the token has \(value.count) characters; at most \(maximumLength)" }
        if let bad = value.first(where: { !allowed.contains($0) }) {
            return "the token has the character '\(bad)'; use letters, digits, '-', '.', '_' or '~'"
        }
        return nil
    }

    /// 128 random bits as 32 hex digits, from the system's cryptographic generator
    /// (SystemRandomNumberGenerator reads getrandom on Linux).
    public static func random() -> LabellingToken {
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }
        return LabellingToken(hex.joined())!
    }

    /// Whether `given` is this token, compared in time that depends only on this
    /// token's length, not on how many leading characters of a guess are right (so
    /// response times do not let anyone find the token a character at a time).
    public func matches(_ given: String) -> Bool {
        let expected = Array(value.utf8)
        let candidate = Array(given.utf8)
        var difference: UInt8 = expected.count == candidate.count ? 0 : 1
        for index in expected.indices {
            let byte = index < candidate.count ? candidate[index] : 0
            difference |= expected[index] ^ byte
        }
        return difference == 0
    }

    public var description: String { value }
}
