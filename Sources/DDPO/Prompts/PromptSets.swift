/// The word lists behind the built-in prompt sets (`PromptSetRegistry.standard`).
public enum PromptSets {
    /// The activities of the prompt-image alignment task (ddpo-pytorch's
    /// assets/activities.txt).
    public static let activities = ["washing the dishes", "riding a bike", "playing chess"]

    /// The 45 simple animals, singular.
    public static var simpleAnimals: [String] { PromptData.simpleAnimals }

    /// The 398 ImageNet animal class names (index = class id).
    public static var imagenetAnimals: [String] { PromptData.imagenetAnimals }
}

/// Namespace of the prompt word lists (in Resources/).
enum PromptData {}
