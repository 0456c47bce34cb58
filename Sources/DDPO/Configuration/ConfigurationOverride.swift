import Yams

/// One command-line override, `section.key=value` ("train.learning_rate=1e-4",
/// "prompt=simple_animals", "reward.options.quality=90", "tasks.1.weight=2",
/// "tasks.alignment.reward.options.x=1": a task by its index or name), applied to the parsed
/// YAML tree before decoding, so an override is checked exactly like the same
/// line in the file. The value is parsed as YAML: numbers, booleans, null and
/// flow lists (`lora.targets=[to_q,to_v]`) work.
struct ConfigurationOverride {
    /// The dotted path, split: ["train", "learning_rate"].
    let path: [String]
    /// The value as YAML.
    let value: Node
    /// The override as given, for error messages.
    let text: String

    init(_ text: String) throws {
        self.text = text
        guard let equals = text.firstIndex(of: "=") else {
            throw ConfigurationError(field: text, message: "override '\(text)' is not of the form path=value")
        }
        let dotted = String(text[..<equals])
        path = dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        do {
            // An empty value is YAML's null, as `key:` with nothing after it.
            value = try Yams.compose(yaml: String(text[text.index(after: equals)...])) ?? Yams.compose(yaml: "null")!
        } catch {
            throw ConfigurationError(
                field: dotted, message: "override '\(text)': the value is not valid YAML (\(error))")
        }
        try checkPath()
    }

    var dottedPath: String { path.joined(separator: ".") }

    /// Refuses paths no configuration key has, before anything is changed.
    private func checkPath() throws {
        typealias Keys = TrainingConfiguration.CodingKeys
        func unknown() -> ConfigurationError {
            let suggestion = Self.closestSetting(to: dottedPath)
            return ConfigurationError(
                field: dottedPath,
                message: "unknown setting in override '\(text)'"
                    + (suggestion.map { "; did you mean '\($0)'?" }
                        ?? " (ddpo config --defaults lists every setting)"))
        }
        guard let first = path.first, !path.contains(where: \.isEmpty),
            let top = Keys(rawValue: first)
        else { throw unknown() }
        if path.count == 1 { return }
        switch top {
        case .sample, .train, .advantages, .lora, .monitor:
            // monitor.prompts, monitor.diversity and monitor.fidelity are set whole (`monitor.prompts=shapes_held_out`).
            guard path.count == 2, TrainingConfiguration.sectionKeys[first]!.contains(path[1]) else { throw unknown() }
        case .prompt:
            guard path.count == 2, TrainingConfiguration.Prompt.CodingKeys(rawValue: path[1]) != nil else {
                throw unknown()
            }
        case .reward:
            try Self.checkReward(path[1...], unknown)
        case .tasks:
            // tasks.<index or name>.<key>: a whole task, or one of its keys (prompt and reward as above).
            guard path.count >= 3 else {
                if path.count == 2 { return }
                throw unknown()
            }
            switch TrainingConfiguration.TaskEntry.CodingKeys(rawValue: path[2]) {
            case .name?, .weight?: guard path.count == 3 else { throw unknown() }
            case .prompt?:
                guard path.count <= 4,
                    path.count == 3 || TrainingConfiguration.Prompt.CodingKeys(rawValue: path[3]) != nil
                else { throw unknown() }
            case .reward?: if path.count > 3 { try Self.checkReward(path[3...], unknown) }
            case nil: throw unknown()
            }
        default:
            throw unknown()
        }
    }

    /// Every path an override may name, down to one key of a section (deeper paths,
    /// such as one reward option or one task's key, continue from these).
    static var knownPaths: [String] {
        typealias Configuration = TrainingConfiguration
        var paths: [String] = []
        for key in Configuration.CodingKeys.allCases.map(\.stringValue) {
            paths.append(key)
            if let sectionKeys = Configuration.sectionKeys[key] {
                paths += sectionKeys.map { "\(key).\($0)" }
            }
        }
        paths += Configuration.Prompt.CodingKeys.allCases.map { "prompt.\($0.stringValue)" }
        paths += Configuration.Reward.CodingKeys.allCases.map { "reward.\($0.stringValue)" }
        return paths
    }

    /// The known path a misspelt one most likely meant: the whole path compared
    /// ("trian.learning_rate" → "train.learning_rate"), then, for a longer path, its
    /// first two keys (a misspelt section key under a reward option is still found).
    static func closestSetting(to dottedPath: String) -> String? {
        let known = knownPaths
        if let whole = Suggestion.closest(to: dottedPath, among: known) { return whole }
        let parts = dottedPath.split(separator: ".", omittingEmptySubsequences: false)
        // A task's keys follow its index or name, which no list of paths holds.
        guard parts.count > 2, parts[0] != "tasks" else { return nil }
        let head = parts.prefix(2).joined(separator: ".")
        guard !known.contains(head), let closeHead = Suggestion.closest(to: head, among: known) else { return nil }
        return ([closeHead] + parts.dropFirst(2).map(String.init)).joined(separator: ".")
    }

    /// reward.name, reward.options, or one option: reward.options.<name> (`path` from the key after "reward").
    private static func checkReward(_ path: ArraySlice<String>, _ unknown: () -> ConfigurationError) throws {
        switch TrainingConfiguration.Reward.CodingKeys(rawValue: path.first!) {
        case .name?: guard path.count == 1 else { throw unknown() }
        case .options?: guard path.count <= 2 else { throw unknown() }
        case nil: throw unknown()
        }
    }

    /// The tree with the value set at `path`; mappings on the way are created
    /// when absent.
    func apply(to root: Node) throws -> Node {
        try setting(value, at: path[...], in: root)
    }

    private func setting(_ value: Node, at path: ArraySlice<String>, in node: Node?) throws -> Node {
        guard let key = path.first else { return value }
        if path.startIndex == 1 && self.path[0] == "tasks" {
            return try settingTask(value, at: path, in: node)
        }
        var mapping: Node.Mapping
        switch node {
        case nil:
            mapping = Node.Mapping([])
        case .mapping(let existing)?:
            mapping = existing
        case .scalar(let scalar)?
        where path.startIndex > 0 && ["prompt", "reward"].contains(self.path[path.startIndex - 1]):
            // `prompt: simple_animals` given `prompt.file=...`: the short form is
            // the mapping {name: simple_animals}.
            mapping = Node.Mapping([(Node("name"), Node(scalar.string))])
        default:
            let parent = self.path[..<path.startIndex].joined(separator: ".")
            throw ConfigurationError(field: parent, message: "override '\(text)': '\(parent)' is not a mapping")
        }
        mapping[key] = try setting(value, at: path.dropFirst(), in: mapping[key])
        return .mapping(mapping)
    }

    /// `tasks.<index or name>…`: the list entry at that index, or the one of that name.
    private func settingTask(_ value: Node, at path: ArraySlice<String>, in node: Node?) throws -> Node {
        guard case .sequence(var tasks)? = node else {
            throw ConfigurationError(
                field: "tasks",
                message:
                    "override '\(text)': the configuration has no `tasks:` list to change (give the list in the file, or whole: tasks=[...])"
            )
        }
        let key = path.first!
        let names = tasks.map { $0.mapping?["name"]?.string ?? "" }
        let index: Int
        if let number = Int(key) {
            guard tasks.indices.contains(number) else {
                throw ConfigurationError(
                    field: "tasks",
                    message:
                        "override '\(text)': there are \(tasks.count) tasks (indices 0–\(tasks.count - 1))")
            }
            index = number
        } else if let named = names.firstIndex(of: key) {
            index = named
        } else {
            throw ConfigurationError(
                field: "tasks",
                message:
                    "override '\(text)': no task named '\(key)' (tasks: \(names.joined(separator: ", ")))")
        }
        tasks[index] = try setting(value, at: path.dropFirst(), in: tasks[index])
        return .sequence(tasks)
    }
}
