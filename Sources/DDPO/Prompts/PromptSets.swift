import ShapesWorld

/// The prompt sets a configuration can name (`prompt:`), ALGORITHM.md §5.
public enum PromptSets {
    /// The registered names, in documentation order.
    public static let names = Kind.allCases.map(\.rawValue)

    enum Kind: String, CaseIterable {
        /// 45 common animals (ddpo-pytorch's simple_animals.txt), used as they are.
        case simpleAnimals = "simple_animals"
        /// ImageNet classes 0–397, the animals (the paper's compressibility tasks).
        case imagenetAnimals = "imagenet_animals"
        /// "a(n) <animal> <activity>" with the three activities of the paper.
        case nounsActivities = "nouns_activities"
        /// "<number word> <animals>", numbers one to ten.
        case counting = "counting"
        /// The shapes world's captions except the held-out shape-colour pairs (240):
        /// what the bundled model was pretrained on.
        case shapes = "shapes"
        /// Only the held-out pairs' captions (48): never seen in pretraining, for
        /// the generalisation checks.
        case shapesHeldOut = "shapes_held_out"
        /// Every caption of the shapes world (288).
        case shapesAll = "shapes_all"
        /// One prompt per line of `prompt.file`.
        case file = "file"
        /// The list in `prompt.prompts`.
        case fixed = "fixed"
    }

    /// The activities of the prompt-image alignment task (ddpo-pytorch's
    /// assets/activities.txt).
    public static let activities = ["washing the dishes", "riding a bike", "playing chess"]

    /// The 45 simple animals, singular.
    public static var simpleAnimals: [String] { PromptData.simpleAnimals }

    /// The 398 ImageNet animal class names (index = class id).
    public static var imagenetAnimals: [String] { PromptData.imagenetAnimals }

    /// The prompt set `configuration` names, with its file read (relative paths
    /// from the working directory). Throws a `ConfigurationError` for an unknown
    /// name, a missing or misplaced argument, or an unreadable or empty file.
    public static func make(_ configuration: TrainingConfiguration.Prompt) throws -> any PromptSet {
        let kind = try checkArguments(configuration)
        // For the noun-based sets `file` replaces the animals (ddpo-pytorch's nouns_file).
        let nouns = try configuration.file.map { try PromptFile.lines(of: $0) } ?? PromptData.simpleAnimals
        switch kind {
        case .simpleAnimals, .imagenetAnimals, .shapes, .shapesHeldOut, .shapesAll:
            return ListPromptSet(list(named: kind.rawValue)!)
        case .nounsActivities: return NounsActivitiesPromptSet(nouns: nouns, activities: activities)
        case .counting: return CountingPromptSet(nouns: nouns)
        case .file: return ListPromptSet(nouns)
        case .fixed: return ListPromptSet(configuration.prompts ?? [])
        }
    }

    /// The whole list of a set that is a plain list (simple_animals,
    /// imagenet_animals, shapes, shapes_held_out, shapes_all), in order; nil for
    /// other names.
    public static func list(named name: String) -> [String]? {
        switch Kind(rawValue: name) {
        case .simpleAnimals: return PromptData.simpleAnimals
        case .imagenetAnimals: return PromptData.imagenetAnimals
        case .shapes: return ShapesWorld.captions(excludingHeldOut: true)
        case .shapesHeldOut: return ShapesWorld.heldOutCaptions
        case .shapesAll: return ShapesWorld.captions()
        default: return nil
        }
    }

    /// Checks the name and which of `file` / `prompts` it needs or allows, without
    /// touching the file system (`validate` calls it; `make` reads the file).
    @discardableResult
    static func checkArguments(_ configuration: TrainingConfiguration.Prompt) throws -> Kind {
        guard let kind = Kind(rawValue: configuration.name) else {
            throw ConfigurationError(field: "prompt", message:
                "unknown prompt set '\(configuration.name)' (valid: \(names.joined(separator: ", ")))")
        }
        let takesFile: Set<Kind> = [.file, .nounsActivities, .counting]
        if kind == .file && configuration.file == nil {
            throw ConfigurationError(field: "prompt.file", message: "is required by the 'file' prompt set")
        }
        if configuration.file != nil && !takesFile.contains(kind) {
            throw ConfigurationError(field: "prompt.file", message:
                "is not used by the '\(kind.rawValue)' prompt set (only by file, nouns_activities, counting)")
        }
        if kind == .fixed {
            guard let prompts = configuration.prompts, !prompts.isEmpty,
                  !prompts.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
                throw ConfigurationError(field: "prompt.prompts", message:
                    "the 'fixed' prompt set needs a non-empty list of non-blank prompts")
            }
        } else if configuration.prompts != nil {
            throw ConfigurationError(field: "prompt.prompts", message:
                "is only used by the 'fixed' prompt set, not by '\(kind.rawValue)'")
        }
        return kind
    }
}

/// Namespace of the prompt word lists (in Resources/).
enum PromptData {}
