extension TrainingConfiguration {
    /// `prompt:` which prompt set each epoch draws from (see `PromptSets`). Written
    /// either as a bare name (`prompt: simple_animals`) or as a mapping when the set
    /// needs more (`prompt: {name: file, file: prompts.txt}`).
    public struct Prompt: Equatable, Sendable {
        /// `name`: a registered prompt set (`PromptSetRegistry.names`): "simple_animals",
        /// "imagenet_animals", "nouns_activities", "counting", "file" or "fixed".
        /// Default "imagenet_animals" (ddpo-pytorch's default).
        public var name: String
        /// `file`: a text file, one prompt (for "file") or one noun (for
        /// "nouns_activities" and "counting", replacing the 45 simple animals) per
        /// line; relative paths are taken from the working directory. Default null.
        public var file: String?
        /// `prompts`: the list a "fixed" set draws from. Default null.
        public var prompts: [String]?

        public init(name: String = "imagenet_animals", file: String? = nil, prompts: [String]? = nil) {
            self.name = name
            self.file = file
            self.prompts = prompts
        }
    }
}

extension TrainingConfiguration.Prompt: Codable, ConfigurationSection {
    static var expectation: String { "a name or a mapping" }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case file
        case prompts
    }

    public init(from decoder: Decoder) throws {
        // A bare name first; anything else must be the mapping form.
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            self.init(name: name)
            return
        }
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        guard c.contains(.name) else {
            throw ConfigurationError(field: dottedPath(c.codingPath + [CodingKeys.name]), message: "is required")
        }
        self.init(
            name: try c.value(.name, default: ""), file: try c.optionalValue(.file),
            prompts: try c.optionalValue(.prompts))
    }

    public func encode(to encoder: Encoder) throws {
        if file == nil && prompts == nil {
            var single = encoder.singleValueContainer()
            try single.encode(name)
            return
        }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(file, forKey: .file)
        try c.encodeIfPresent(prompts.map(YAMLStringList.init), forKey: .prompts)
    }
}
