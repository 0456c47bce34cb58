extension TrainingConfiguration {
    /// `reward:` the reward function, by the Rewards registry's name, with its
    /// options as strings (the registry parses them: the configuration layer does
    /// not know each reward's settings). Written as a bare name
    /// (`reward: jpeg_compressibility`) or as
    /// `reward: {name: remote, options: {url: "http://127.0.0.1:8000"}}`.
    public struct Reward: Equatable, Sendable {
        /// `name`: a reward registered in the Rewards module; checked by
        /// `validate(knownRewards:)`. Default "jpeg_compressibility".
        public var name: String
        /// `options`: reward-specific settings, name → value (YAML scalars are
        /// kept as their text: `quality: 95` gives "95"). Default empty.
        public var options: [String: String]

        public init(name: String = "jpeg_compressibility", options: [String: String] = [:]) {
            self.name = name
            self.options = options
        }
    }
}

extension TrainingConfiguration.Reward: Codable, ConfigurationSection {
    static var expectation: String { "a name or a mapping" }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case options
    }

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            self.init(name: name)
            return
        }
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        guard c.contains(.name) else {
            throw ConfigurationError(field: dottedPath(c.codingPath + [CodingKeys.name]), message: "is required")
        }
        self.init(name: try c.value(.name, default: ""), options: try c.value(.options, default: [:]))
    }

    public func encode(to encoder: Encoder) throws {
        if options.isEmpty {
            var single = encoder.singleValueContainer()
            try single.encode(name)
            return
        }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        // Sorted, so that the saved configuration is the same file run after run.
        var o = c.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .options)
        for key in options.keys.sorted() {
            try o.encode(options[key]!, forKey: AnyCodingKey(stringValue: key))
        }
    }
}
