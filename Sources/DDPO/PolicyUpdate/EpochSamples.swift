import DiffusionModels
import Torch

/// One epoch's samples, collated from its sampling batches: everything the policy
/// update needs, plus the rewards and advantages.
public struct EpochSamples {
    public var prompts: [String]
    /// Text-encoder states of each sample's prompt [N, 77, hidden], and of "" [1, 77, hidden].
    public var promptEmbeddings: Tensor
    public var negativeEmbedding: Tensor
    /// x_T ... x_0 per sample: [N, T + 1, C, h, w].
    public var latents: Tensor
    /// The sampling run's timesteps, int64 [T] (the same for every sample).
    public var timesteps: Tensor
    /// log p of each recorded step at sampling time, [N, T].
    public var logProbabilities: Tensor
    public var rewards: [Double]
    /// Clipped advantages, one per sample.
    public var advantages: [Double]

    public var count: Int { prompts.count }
    public var stepCount: Int { timesteps.size(0) }

    public init(
        prompts: [String], promptEmbeddings: Tensor, negativeEmbedding: Tensor, latents: Tensor,
        timesteps: Tensor, logProbabilities: Tensor, rewards: [Double], advantages: [Double]
    ) {
        self.prompts = prompts
        self.promptEmbeddings = promptEmbeddings
        self.negativeEmbedding = negativeEmbedding
        self.latents = latents
        self.timesteps = timesteps
        self.logProbabilities = logProbabilities
        self.rewards = rewards
        self.advantages = advantages
    }

    /// Joins sampling batches (their trajectories share timesteps and the negative embedding).
    public init(trajectories: [Trajectory], rewards: [Double], advantages: [Double]) {
        precondition(!trajectories.isEmpty, "EpochSamples: no trajectories")
        self.init(
            prompts: trajectories.flatMap(\.prompts),
            promptEmbeddings: Tensor.cat(trajectories.map(\.promptEmbeddings)),
            negativeEmbedding: trajectories[0].negativeEmbedding,
            latents: Tensor.cat(trajectories.map(\.latents)),
            timesteps: trajectories[0].timesteps,
            logProbabilities: Tensor.cat(trajectories.map(\.logProbabilities)),
            rewards: rewards, advantages: advantages)
        precondition(
            count == rewards.count && count == advantages.count,
            "EpochSamples: \(count) samples, \(rewards.count) rewards, \(advantages.count) advantages")
    }

    /// Keeps only the samples at `indices` (e.g. after dropping NaN rewards).
    public func selecting(_ indices: [Int]) -> EpochSamples {
        let index = Tensor(indices.map(Int64.init)).to(device: latents.device)
        return EpochSamples(
            prompts: indices.map { prompts[$0] },
            promptEmbeddings: promptEmbeddings.indexSelect(dim: 0, index: index),
            negativeEmbedding: negativeEmbedding,
            latents: latents.indexSelect(dim: 0, index: index), timesteps: timesteps,
            logProbabilities: logProbabilities.indexSelect(dim: 0, index: index),
            rewards: indices.map { rewards[$0] }, advantages: indices.map { advantages[$0] })
    }
}

extension EpochSamples {
    /// Several sets of samples as one, in order (the tasks of a multi-task epoch);
    /// they must come from one model and one sampling setup (same steps, same size).
    public static func concatenating(_ parts: [EpochSamples]) -> EpochSamples {
        precondition(!parts.isEmpty, "EpochSamples.concatenating: nothing to join")
        if parts.count == 1 { return parts[0] }
        return EpochSamples(
            prompts: parts.flatMap(\.prompts),
            promptEmbeddings: Tensor.cat(parts.map(\.promptEmbeddings)),
            negativeEmbedding: parts[0].negativeEmbedding,
            latents: Tensor.cat(parts.map(\.latents)), timesteps: parts[0].timesteps,
            logProbabilities: Tensor.cat(parts.map(\.logProbabilities)),
            rewards: parts.flatMap(\.rewards), advantages: parts.flatMap(\.advantages))
    }
}
