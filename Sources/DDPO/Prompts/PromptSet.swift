/// A distribution over prompts (docs/algorithm.md §10): ddpo-pytorch's "prompt
/// function". Built by name with `PromptSetRegistry.make`; drawn from through a
/// `PromptSampler`, which supplies the randomness.
public protocol PromptSet: Sendable {
    /// One prompt; all randomness comes from `random`, so equal generators give
    /// equal prompts.
    func prompt(using random: inout PromptRandom) -> String
}

/// Uniform choice from a list: simple_animals, imagenet_animals, file and fixed.
public struct ListPromptSet: PromptSet {
    public let prompts: [String]

    public init(_ prompts: [String]) {
        precondition(!prompts.isEmpty, "ListPromptSet: no prompts")
        self.prompts = prompts
    }

    public func prompt(using random: inout PromptRandom) -> String {
        random.element(of: prompts)
    }
}

/// "a(n) <noun> <activity>" (nouns_activities, the prompt-image alignment task):
/// the noun first, then the activity, each uniform.
public struct NounsActivitiesPromptSet: PromptSet {
    public let nouns: [String]
    public let activities: [String]

    public init(nouns: [String], activities: [String]) {
        precondition(!nouns.isEmpty && !activities.isEmpty, "NounsActivitiesPromptSet: no nouns or no activities")
        self.nouns = nouns
        self.activities = activities
    }

    public func prompt(using random: inout PromptRandom) -> String {
        let noun = random.element(of: nouns)
        let activity = random.element(of: activities)
        return "\(EnglishNouns.withIndefiniteArticle(noun)) \(activity)"
    }
}

/// "<number word> <noun, plural>" ("three cats"; the counting task): the number
/// uniform in `numbers` first, then the noun. One takes the singular ("one cat").
public struct CountingPromptSet: PromptSet {
    public let nouns: [String]
    public let numbers: ClosedRange<Int>

    /// Numbers 1...10 by default: small counts, as in the counting experiments,
    /// all written as words (`EnglishNouns.numberWord`).
    public init(nouns: [String], numbers: ClosedRange<Int> = 1...10) {
        precondition(!nouns.isEmpty, "CountingPromptSet: no nouns")
        precondition(
            numbers.lowerBound >= 1 && numbers.upperBound <= EnglishNouns.numberWords.count,
            "CountingPromptSet: numbers must lie in 1...\(EnglishNouns.numberWords.count)")
        self.nouns = nouns
        self.numbers = numbers
    }

    public func prompt(using random: inout PromptRandom) -> String {
        let number = numbers.lowerBound + random.index(below: numbers.count)
        let noun = random.element(of: nouns)
        let counted = number == 1 ? noun : EnglishNouns.plural(noun)
        return "\(EnglishNouns.numberWord(number)) \(counted)"
    }
}
