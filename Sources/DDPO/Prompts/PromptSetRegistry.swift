import Foundation

/// The prompt sets a configuration can name (`prompt:`, docs/algorithm.md §10): the
/// built-in kinds, which take arguments (`file`, `fixed`, `nouns_activities`,
/// `counting`), and plain lists by name. A world adds its own lists with
/// `register(_:list:)`, as the shapes world does with its captions, so this module
/// knows no world.
public struct PromptSetRegistry: Sendable {
    /// The kinds built from the configuration's arguments rather than a fixed list.
    enum BuiltIn: String, CaseIterable {
        /// "a(n) <animal> <activity>" with the three activities of the paper.
        case nounsActivities = "nouns_activities"
        /// "<number word> <animals>", numbers one to ten.
        case counting = "counting"
        /// One prompt per line of `prompt.file`.
        case file = "file"
        /// The list in `prompt.prompts`.
        case fixed = "fixed"
    }

    private var lists: [String: @Sendable () -> [String]] = [:]
    private var listNames: [String] = []

    /// No lists, only the built-in kinds; `standard` adds the animals.
    public init() {}

    /// The built-in kinds plus `simple_animals` (45 common animals, ddpo-pytorch's
    /// simple_animals.txt) and `imagenet_animals` (ImageNet classes 0–397, the
    /// paper's compressibility prompts).
    public static var standard: PromptSetRegistry {
        var registry = PromptSetRegistry()
        registry.register("simple_animals") { PromptData.simpleAnimals }
        registry.register("imagenet_animals") { PromptData.imagenetAnimals }
        return registry
    }

    /// Adds a plain list, drawn uniformly. Registering a name twice is a programmer error.
    public mutating func register(_ name: String, list: @escaping @Sendable () -> [String]) {
        precondition(
            lists[name] == nil && BuiltIn(rawValue: name) == nil,
            "PromptSetRegistry: prompt set \"\(name)\" is already registered")
        lists[name] = list
        listNames.append(name)
    }

    /// The registered names: the lists in registration order, then the built-in kinds.
    public var names: [String] { listNames + BuiltIn.allCases.map(\.rawValue) }

    /// The whole list of a set that is a plain list, in order; nil for other names.
    public func list(named name: String) -> [String]? { lists[name]?() }

    /// The prompt set `configuration` names, with its file read (relative paths
    /// from the working directory). Throws a `ConfigurationError` for an unknown
    /// name, a missing or misplaced argument, or an unreadable or empty file.
    public func make(_ configuration: TrainingConfiguration.Prompt) throws -> any PromptSet {
        let kind = try checkArguments(configuration)
        // For the noun-based sets `file` replaces the animals (ddpo-pytorch's nouns_file).
        let nouns = try configuration.file.map { try PromptFile.lines(of: $0) } ?? PromptData.simpleAnimals
        switch kind {
        case nil: return ListPromptSet(list(named: configuration.name) ?? [])
        case .nounsActivities: return NounsActivitiesPromptSet(nouns: nouns, activities: PromptSets.activities)
        case .counting: return CountingPromptSet(nouns: nouns)
        case .file: return ListPromptSet(nouns)
        case .fixed: return ListPromptSet(configuration.prompts ?? [])
        }
    }

    /// Checks the name and which of `file` / `prompts` it needs or allows, without
    /// touching the file system (validation calls it; `make` reads the file). Returns
    /// the built-in kind, or nil for a registered list.
    @discardableResult
    func checkArguments(_ configuration: TrainingConfiguration.Prompt) throws -> BuiltIn? {
        let name = configuration.name
        guard lists[name] != nil || BuiltIn(rawValue: name) != nil else {
            throw ConfigurationError(
                field: "prompt",
                message: Suggestion.unknownName("prompt set", name, valid: names))
        }
        let kind = BuiltIn(rawValue: name)
        let takesFile: Set<BuiltIn> = [.file, .nounsActivities, .counting]
        if kind == .file && configuration.file == nil {
            throw ConfigurationError(field: "prompt.file", message: "is required by the 'file' prompt set")
        }
        if configuration.file != nil && !(kind.map(takesFile.contains) ?? false) {
            throw ConfigurationError(
                field: "prompt.file",
                message:
                    "is not used by the '\(name)' prompt set (only by file, nouns_activities, counting)")
        }
        if kind == .fixed {
            guard let prompts = configuration.prompts, !prompts.isEmpty,
                !prompts.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty })
            else {
                throw ConfigurationError(
                    field: "prompt.prompts",
                    message:
                        "the 'fixed' prompt set needs a non-empty list of non-blank prompts")
            }
        } else if configuration.prompts != nil {
            throw ConfigurationError(
                field: "prompt.prompts",
                message:
                    "is only used by the 'fixed' prompt set, not by '\(name)'")
        }
        return kind
    }
}
