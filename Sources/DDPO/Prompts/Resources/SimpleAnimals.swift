// The 45 common animals of ddpo-pytorch's simple_animals prompt set, in the file's
// order. Source: ddpo_pytorch/assets/simple_animals.txt in
// github.com/kvablack/ddpo-pytorch (commit 2fda3d4, MIT license); copied verbatim
// as data.
extension PromptData {
    /// 45 common animal nouns (singular).
    static let simpleAnimals: [String] = [
        "cat", "dog", "horse", "monkey", "rabbit", "zebra", "spider", "bird",
        "sheep", "deer", "cow", "goat", "lion", "tiger", "bear", "raccoon",
        "fox", "wolf", "lizard", "beetle", "ant", "butterfly", "fish", "shark",
        "whale", "dolphin", "squirrel", "mouse", "rat", "snake", "turtle", "frog",
        "chicken", "duck", "goose", "bee", "pig", "turkey", "fly", "llama",
        "camel", "bat", "gorilla", "hedgehog", "kangaroo"
    ]
}
