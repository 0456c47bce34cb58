/// A reward whose output is checked: one reward and one info entry per sample, and
/// no NaN or infinity unless the policy drops such samples.
///
/// This is the one place those checks live; `RewardRegistry.make` wraps every
/// reward it makes in it, so a new reward gets them without writing them again.
public struct CheckedReward: Reward {
    public let base: any Reward
    public let nonFinite: NonFinitePolicy

    public init(_ base: any Reward, nonFinite: NonFinitePolicy = .error) {
        self.base = base
        self.nonFinite = nonFinite
    }

    public var name: String { base.name }
    public var usesLibtorch: Bool { base.usesLibtorch }
    public var unit: String { base.unit }
    public var axisLabel: String { base.axisLabel }

    public func score(_ input: RewardInput) async throws -> RewardBatch {
        var batch = try await base.score(input)
        try check(&batch, input)
        return batch
    }

    /// Validates `batch` as the output for `input`; fills `dropped` under `.drop`.
    public func check(_ batch: inout RewardBatch, _ input: RewardInput) throws {
        guard batch.rewards.count == input.count else {
            throw RewardError.wrongCount(
                reward: name, field: "rewards", expected: input.count, got: batch.rewards.count)
        }
        guard batch.info.count == input.count else {
            throw RewardError.wrongCount(reward: name, field: "info", expected: input.count, got: batch.info.count)
        }
        let nonFiniteIndices = batch.rewards.indices.filter { !batch.rewards[$0].isFinite }
        switch nonFinite {
        case .error:
            if let index = nonFiniteIndices.first {
                throw RewardError.nonFiniteReward(
                    reward: name, index: index, prompt: input.prompts[index],
                    value: batch.rewards[index])
            }
            batch.dropped = []
        case .drop:
            batch.dropped = nonFiniteIndices
        }
    }
}
