import Pretraining
import Rewards

/// What a configuration names that lies outside the algorithm: rewards, prompt sets
/// and pretraining data. DDPO knows only the standard ones; a world (the shapes
/// world, `ShapesWorld.add(to:model:)`) or a program adds its own, and the trainer
/// and the validation take the catalogue they are given.
public struct Catalogue: Sendable {
    public var rewards: RewardRegistry
    public var promptSets: PromptSetRegistry
    /// `train.pretrain_data`: name → the dataset of the pretraining loss.
    public var pretrainingData: [String: @Sendable () -> any PretrainingDataset]

    public init(
        rewards: RewardRegistry, promptSets: PromptSetRegistry,
        pretrainingData: [String: @Sendable () -> any PretrainingDataset] = [:]
    ) {
        self.rewards = rewards
        self.promptSets = promptSets
        self.pretrainingData = pretrainingData
    }

    /// The standard rewards and prompt sets; no pretraining data.
    public static var standard: Catalogue { Catalogue(rewards: .standard, promptSets: .standard) }

    /// The dataset `train.pretrain_data` names.
    func pretrainingDataset(named name: String) throws -> any PretrainingDataset {
        guard let make = pretrainingData[name] else {
            let known = pretrainingData.keys.sorted()
            throw ConfigurationError(
                field: "train.pretrain_data",
                message: "unknown pretraining data '\(name)' (valid: "
                    + (known.isEmpty ? "none registered" : known.joined(separator: ", ")) + ")")
        }
        return make()
    }
}
