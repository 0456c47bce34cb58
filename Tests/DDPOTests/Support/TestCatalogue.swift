import DDPO
import Rewards
import ShapesWorld

extension Catalogue {
    /// What the tests' runs name: `rewards`, the standard prompt sets plus the shapes
    /// world's, and its pretraining data.
    static func tests(rewards: RewardRegistry = .standard) -> Catalogue {
        var catalogue = Catalogue.withShapesWorld(model: "")
        catalogue.rewards = rewards
        return catalogue
    }

    /// A catalogue whose rewards are only names, for validation (which never makes one).
    static func names(_ rewards: Set<String>) -> Catalogue {
        var registry = RewardRegistry()
        for name in rewards {
            registry.register(name, options: []) { _ in preconditionFailure("a name-only reward was made") }
        }
        return .tests(rewards: registry)
    }
}

extension TrainingConfiguration {
    /// Validation against the named rewards and the tests' prompt sets and data.
    @discardableResult
    func validate(knownRewards: Set<String>) throws -> TrainingConfiguration {
        try validate(catalogue: .names(knownRewards))
    }
}
