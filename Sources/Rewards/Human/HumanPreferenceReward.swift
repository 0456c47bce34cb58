/// `reward: human`: a person compares the two images of each pair of prompt and says
/// which is better (`ddpo label RUN` serves the page). It is not a function of one
/// image: the trainer publishes each epoch's pairs to the run folder and waits for
/// the labels (docs/human-labels.md), so `score` is never called by it; anything
/// else that tries (an evaluation, `ddpo evaluate`) gets a clear error.
///
/// Options: `share`, in (0, 1], the share of an epoch's pairs that must be answered
/// (a skip counts) before it trains, default 1; `poll_seconds`, how often the trainer
/// looks for new labels, in [0.05, 60], default 1.
public struct HumanPreferenceReward: Reward {
    public static let registryName = "human"
    public static let optionNames = ["share", "poll_seconds"]

    public let share: Double
    public let pollSeconds: Double

    public init(options: RewardOptions) throws {
        share = try options.double("share", default: 1, in: 0...1)
        guard share > 0 else { throw options.invalid("share", "\(share)", expected: "a number in (0, 1]") }
        pollSeconds = try options.double("poll_seconds", default: 1, in: 0.05...60)
    }

    public var name: String { Self.registryName }
    public var usesLibtorch: Bool { false }
    public var unit: String { "preferred" }
    public var axisLabel: String { "reward (1 preferred, 0.5 equal, 0 not)" }

    public func score(_ input: RewardInput) async throws -> RewardBatch {
        throw RewardError.invalidOption(
            reward: name, option: "reward", value: name,
            expected: "a reward that scores single images here: human labels come from `ddpo label` during `ddpo train`"
        )
    }
}
