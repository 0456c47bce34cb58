/// A reward's options from its configuration, with typed accessors whose errors
/// name the reward, the option and what was expected.
public struct RewardOptions: Sendable {
    /// The reward these options configure (for error messages).
    public let reward: String
    public let values: [String: String]

    public init(reward: String, values: [String: String]) {
        self.reward = reward
        self.values = values
    }

    public func string(_ key: String) throws -> String {
        guard let value = values[key] else { throw RewardError.missingOption(reward: reward, option: key) }
        return value
    }

    public func string(_ key: String, default fallback: String) -> String {
        values[key] ?? fallback
    }

    /// One of `allowed`, or `fallback` when absent.
    public func choice(_ key: String, _ allowed: [String], default fallback: String) throws -> String {
        let value = values[key] ?? fallback
        guard allowed.contains(value) else {
            throw invalid(key, value, expected: "one of \(allowed.joined(separator: ", "))")
        }
        return value
    }

    /// A number in `range`, or `fallback` when absent.
    public func double(_ key: String, default fallback: Double, in range: ClosedRange<Double>) throws -> Double {
        guard let text = values[key] else { return fallback }
        guard let value = Double(text), range.contains(value) else {
            throw invalid(key, text, expected: "a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// An integer in `range`, or `fallback` when absent.
    public func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = values[key] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw invalid(key, text, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    public func invalid(_ key: String, _ value: String, expected: String) -> RewardError {
        RewardError.invalidOption(reward: reward, option: key, value: value, expected: expected)
    }
}
