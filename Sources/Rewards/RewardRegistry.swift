/// Maps reward names, as configuration files write them, to factories.
///
/// `make` checks the options against the names the factory declared (so a typo is
/// an error, not a silently ignored setting), reads the option every reward takes,
/// `non_finite: error | drop`, and wraps the reward in `CheckedReward`.
public struct RewardRegistry: Sendable {
    public typealias Factory = @Sendable (RewardOptions) throws -> any Reward

    /// Options `make` handles itself, valid for every reward.
    public static let commonOptions = ["non_finite"]

    private struct Entry: Sendable {
        var options: [String]
        var factory: Factory
    }

    private var entries: [String: Entry] = [:]

    /// An empty registry; `standard` has the built-in rewards.
    public init() {}

    /// jpeg_compressibility, jpeg_incompressibility, remote, aesthetic, pickscore,
    /// clip_score, hpsv2, diversity and human.
    public static var standard: RewardRegistry { standard(diversityFeatures: [:]) }

    /// The standard rewards, with `diversity` also taking the `features` in
    /// `diversityFeatures` (a library that has its own embedder, as the shapes
    /// world's recogniser, adds it here; names are registered once).
    public static func standard(diversityFeatures: [String: ImageEmbedderFactory]) -> RewardRegistry {
        var registry = RewardRegistry()
        for direction in JPEGSizeReward.Direction.allCases {
            registry.register(direction.rawValue, options: []) { _ in JPEGSizeReward(direction) }
        }
        registry.register(RemoteReward.registryName, options: RemoteRewardSettings.optionNames) { options in
            RemoteReward(settings: try RemoteRewardSettings(options: options))
        }
        registry.register(AestheticReward.registryName, options: AestheticReward.optionNames) { options in
            try AestheticReward(options: options)
        }
        for kind in CLIPPreferenceKind.allCases {
            registry.register(kind.rawValue, options: CLIPPreferenceReward.optionNames) { options in
                try CLIPPreferenceReward(kind: kind, options: options)
            }
        }
        DiversityReward.register(in: &registry, extraFeatures: diversityFeatures)
        registry.register(HumanPreferenceReward.registryName, options: HumanPreferenceReward.optionNames) {
            try HumanPreferenceReward(options: $0)
        }
        return registry
    }

    /// Adds a reward; `options` are the option names its factory reads. Registering
    /// a name twice is a programmer error.
    public mutating func register(_ name: String, options: [String], factory: @escaping Factory) {
        precondition(entries[name] == nil, "RewardRegistry: reward \"\(name)\" is already registered")
        entries[name] = Entry(options: options, factory: factory)
    }

    /// The registered names, sorted.
    public var names: [String] { entries.keys.sorted() }

    public func make(_ name: String) throws -> CheckedReward {
        try make(RewardConfiguration(name: name))
    }

    /// Throws `RewardError.unknownReward` (listing the known names), `.unknownOption`,
    /// or whatever the factory throws for a bad option value.
    public func make(_ configuration: RewardConfiguration) throws -> CheckedReward {
        guard let entry = entries[configuration.name] else {
            throw RewardError.unknownReward(name: configuration.name, known: names)
        }
        let known = entry.options + Self.commonOptions
        for key in configuration.options.keys.sorted() where !known.contains(key) {
            throw RewardError.unknownOption(reward: configuration.name, option: key, known: known.sorted())
        }
        let options = RewardOptions(reward: configuration.name, values: configuration.options)
        let policy = try options.choice(
            "non_finite", NonFinitePolicy.allCases.map(\.rawValue),
            default: NonFinitePolicy.error.rawValue)
        return CheckedReward(try entry.factory(options), nonFinite: NonFinitePolicy(rawValue: policy)!)
    }
}
