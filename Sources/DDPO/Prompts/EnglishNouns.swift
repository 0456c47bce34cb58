/// The bits of English the generated prompts need: "a"/"an", plurals and number
/// words. Deliberately small rule sets, not a general inflection engine (ddpo-pytorch
/// uses the `inflect` package): they are exact for the 45 simple animals and for
/// common nouns, and each rule below says what it covers. Words are expected in
/// lower case, as the prompt lists are.
public enum EnglishNouns {
    /// "a cat", "an ant", "an hour", "a unicorn": the article goes by the sound of
    /// the first letter. A vowel letter takes "an", except before a "you"/"w"
    /// sound (uni-, use-, eu-, ewe, one); a consonant takes "a", except for a
    /// silent h (hour, honest, honour, heir).
    public static func withIndefiniteArticle(_ noun: String) -> String {
        "\(indefiniteArticle(for: noun)) \(noun)"
    }

    /// "a" or "an" for `phrase` (see `withIndefiniteArticle`).
    public static func indefiniteArticle(for phrase: String) -> String {
        let word = phrase.lowercased()
        if consonantSoundingVowelPrefixes.contains(where: word.hasPrefix) { return "a" }
        if silentHPrefixes.contains(where: word.hasPrefix) { return "an" }
        guard let first = word.first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }

    private static let consonantSoundingVowelPrefixes = ["uni", "use", "usu", "uti", "ure", "eu", "ewe", "one", "once"]
    private static let silentHPrefixes = ["hour", "honest", "honor", "honour", "heir"]

    /// The plural of a noun; for several words ("polar bear") the last one is
    /// inflected. Rules, in order: an irregular form from a table (mouse → mice,
    /// goose → geese, wolf → wolves, ...); nouns whose plural is the singular
    /// (sheep, deer, fish, ...); -s, -x, -z, -ch, -sh take -es (fox → foxes);
    /// consonant + y becomes -ies (butterfly → butterflies), vowel + y takes -s
    /// (monkey → monkeys); a short list of -o nouns take -es (potato → potatoes);
    /// everything else takes -s.
    public static func plural(_ noun: String) -> String {
        guard let spaceIndex = noun.lastIndex(of: " ") else { return pluralOfWord(noun) }
        let head = noun[...spaceIndex]
        return String(head) + pluralOfWord(String(noun[noun.index(after: spaceIndex)...]))
    }

    private static func pluralOfWord(_ word: String) -> String {
        if let irregular = irregularPlurals[word] { return irregular }
        if unchangedPlurals.contains(word) { return word }
        if ["s", "x", "z", "ch", "sh"].contains(where: word.hasSuffix) { return word + "es" }
        if word.hasSuffix("y"), word.count >= 2, !"aeiou".contains(word.dropLast().last!) {
            return String(word.dropLast()) + "ies"
        }
        if esAfterO.contains(word) { return word + "es" }
        return word + "s"
    }

    private static let irregularPlurals: [String: String] = [
        "mouse": "mice", "louse": "lice", "goose": "geese", "ox": "oxen", "child": "children",
        "person": "people", "man": "men", "woman": "women", "foot": "feet", "tooth": "teeth",
        "wolf": "wolves", "calf": "calves", "half": "halves", "elf": "elves", "leaf": "leaves",
        "loaf": "loaves", "shelf": "shelves", "thief": "thieves", "knife": "knives", "wife": "wives",
        "life": "lives", "cactus": "cacti"
    ]
    private static let unchangedPlurals: Set<String> = [
        "sheep", "deer", "fish", "moose", "bison", "salmon", "trout", "shrimp", "squid", "swine",
        "cod", "aircraft", "series", "species"
    ]
    private static let esAfterO: Set<String> = ["potato", "tomato", "hero", "echo", "torpedo", "mosquito", "volcano"]

    /// "one" ... "twenty".
    public static let numberWords = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen", "twenty"
    ]

    /// The English word for 1...20.
    public static func numberWord(_ number: Int) -> String {
        precondition((1...numberWords.count).contains(number), "EnglishNouns.numberWord: \(number) is not in 1...20")
        return numberWords[number - 1]
    }
}
