/// Why a reward could not be made or could not score a batch. These are errors in
/// outside input (a configuration file, a reward model's output), so they throw;
/// errors of the remote reward's transport are `RemoteRewardError`.
public enum RewardError: Error, CustomStringConvertible {
    /// A configuration named a reward the registry does not know.
    case unknownReward(name: String, known: [String])
    /// An option the reward does not take (often a typo: `timout_s`).
    case unknownOption(reward: String, option: String, known: [String])
    case missingOption(reward: String, option: String)
    case invalidOption(reward: String, option: String, value: String, expected: String)
    /// A reward returned a list (`rewards` or `info`) whose length is not the batch size.
    case wrongCount(reward: String, field: String, expected: Int, got: Int)
    /// A NaN or infinite reward under the policy `.error`; `index` is the position in the batch.
    case nonFiniteReward(reward: String, index: Int, prompt: String, value: Double)
    /// An image that could not be encoded for scoring.
    case imageEncoding(reward: String, index: Int, message: String)

    public var description: String {
        switch self {
        case .unknownReward(let name, let known):
            return "unknown reward \"\(name)\"; known rewards: \(known.joined(separator: ", "))"
        case .unknownOption(let reward, let option, let known):
            let list = known.isEmpty ? "it takes none" : "known options: \(known.joined(separator: ", "))"
            return "reward \(reward): unknown option \"\(option)\"; \(list)"
        case .missingOption(let reward, let option):
            return "reward \(reward): missing required option \"\(option)\""
        case .invalidOption(let reward, let option, let value, let expected):
            return "reward \(reward): option \(option) = \"\(value)\" is invalid; expected \(expected)"
        case .wrongCount(let reward, let field, let expected, let got):
            return "reward \(reward) returned \(got) entries in \(field) for a batch of \(expected) images"
        case .nonFiniteReward(let reward, let index, let prompt, let value):
            return "reward \(reward): value \(value) of sample \(index) (prompt \"\(prompt)\") is not finite"
                + " (set non_finite: drop to drop such samples)"
        case .imageEncoding(let reward, let index, let message):
            return "reward \(reward): cannot encode image \(index): \(message)"
        }
    }
}
