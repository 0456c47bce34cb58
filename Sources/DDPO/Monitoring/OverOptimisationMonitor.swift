import DiffusionModels
import Foundation
import ImageCodecs
import Rewards
import Schedulers
import Torch

/// What one monitor evaluation measured.
public struct MonitorReading: Equatable, Sendable {
    /// Epochs trained when measured (0 = the base model, before training).
    public var epoch: Int
    /// The training reward's mean over the monitor's images (finite values only).
    public var heldOutReward: Double
    /// The diversity reward's batch value over the monitor's images.
    public var diversity: Double
    /// Mean over images and DDIM steps of the per-step KL from the policy to the base model.
    public var klToBase: Double
    /// The same mean over the first, middle and last third of the DDIM steps, in
    /// sampling order (noisiest first): where along the trajectory the policy drifted.
    /// Empty when not measured.
    public var klToBaseByThird: [Double] = []
    /// Mean of each per-sample extra of the training reward (e.g. `match_all`).
    public var infoMeans: [String: Double]
    /// The fidelity reward's (`monitor.fidelity`) mean over the monitor's images
    /// (finite values only); nil without one.
    public var fidelity: Double?
    /// Mean of each per-sample extra of the fidelity reward (e.g. `match_all`).
    public var fidelityInfoMeans: [String: Double] = [:]
    /// The task measured in a multi-task run (its name suffixes the scalars); nil otherwise.
    public var task: String?

    public init(
        epoch: Int, heldOutReward: Double, diversity: Double, klToBase: Double,
        infoMeans: [String: Double] = [:], fidelity: Double? = nil, task: String? = nil
    ) {
        self.epoch = epoch
        self.heldOutReward = heldOutReward
        self.diversity = diversity
        self.klToBase = klToBase
        self.infoMeans = infoMeans
        self.fidelity = fidelity
        self.task = task
    }

    /// The metrics names; `RunFolder` tells monitor records from epoch records by the prefix.
    public static let prefix = "monitor/"
    public static let heldOutRewardName = "monitor/heldout_reward"
    public static let diversityName = "monitor/diversity"
    public static let klToBaseName = "monitor/kl_to_base"
    /// `monitor/fidelity`, and `monitor/fidelity_<key>` for each of its extras.
    public static let fidelityName = "monitor/fidelity"
    /// `monitor/kl_to_base_early`, `_middle`, `_late`: `klToBaseByThird`.
    public static let klToBaseThirdNames = ["early", "middle", "late"].map { "monitor/kl_to_base_\($0)" }

    /// A metric's name for `task`: `name/<task>` in a multi-task run, as the
    /// training metrics are named per task.
    public static func name(_ name: String, task: String?) -> String {
        task.map { "\(name)/\($0)" } ?? name
    }

    /// The scalars for metrics.jsonl and TensorBoard; each info mean as
    /// `monitor/heldout_<key>`, the fidelity reward's as `monitor/fidelity_<key>`; every name suffixed with `/<task>` for a task's reading.
    public var scalars: [String: Double] {
        var scalars = [
            Self.heldOutRewardName: heldOutReward, Self.diversityName: diversity,
            Self.klToBaseName: klToBase
        ]
        for (key, value) in infoMeans { scalars[Self.prefix + "heldout_" + key] = value }
        if let fidelity { scalars[Self.fidelityName] = fidelity }
        for (key, value) in fidelityInfoMeans { scalars[Self.fidelityName + "_" + key] = value }
        for (name, value) in zip(Self.klToBaseThirdNames, klToBaseByThird) { scalars[name] = value }
        return Dictionary(uniqueKeysWithValues: scalars.map { (Self.name($0.key, task: task), $0.value) })
    }
}

/// Over-optimisation monitors (issue #6): the policy samples a fixed set of
/// held-out prompts with fixed noise, the same at every call, and the monitor
/// measures on those samples
///
/// - the held-out reward: the training reward's mean (a fine-tune that games its
///   reward on the training prompts shows it as a gap, then a fall);
/// - the diversity: the batch value of a distribution-level reward (collapse onto
///   one image shows as a fall);
/// - the fidelity (optional): the mean of a second reward that watches what the
///   training reward ignores, such as prompt alignment under a compressibility reward;
/// - the KL to the base model: for each sample and DDIM step the closed-form KL
///   between the policy's Gaussian step and the base model's at the same state
///   (`KLPenalty.divergence`, guided at the sampling scale as the sampler was),
///   averaged over samples and steps. It is 0 for the base model itself.
///
/// It holds what it needs and nothing of the trainer, so a multi-task trainer runs
/// one monitor per task (`task` labels its readings). Everything runs under no-grad.
public struct OverOptimisationMonitor {
    public let sampler: TrajectorySampler
    /// The reward whose held-out mean is logged (the training reward).
    public let reward: any Reward
    /// A distribution-level reward: its `batchValue` is the diversity.
    public let diversity: any Reward
    /// A second reward whose mean is logged as the fidelity (`monitor.fidelity`); nil: none.
    public let fidelity: (any Reward)?
    /// The fixed held-out prompts, one image each.
    public let prompts: [String]
    /// Seeds the initial noise and every step's noise, the same at every call.
    public let seed: UInt64
    public let options: SamplingOptions
    /// Images sampled per batch (the prompts are sampled in consecutive batches).
    public let batchSize: Int
    /// The base model: adapters off, or a frozen copy of the initial UNet.
    public let klReference: KLReference
    /// The task of a multi-task run this monitor watches; nil for a single-task run.
    public let task: String?
    /// Threads re-scoring the trajectory's steps for the KL side by side (`workers`;
    /// the same reading whatever the count).
    public let workers: Int

    public init(
        sampler: TrajectorySampler, reward: any Reward, diversity: any Reward, fidelity: (any Reward)? = nil,
        prompts: [String],
        seed: UInt64, options: SamplingOptions, batchSize: Int, klReference: KLReference,
        task: String? = nil, workers: Int = 1
    ) {
        precondition(!prompts.isEmpty && batchSize >= 1, "OverOptimisationMonitor: no prompts or a batch size < 1")
        self.sampler = sampler
        self.reward = reward
        self.diversity = diversity
        self.fidelity = fidelity
        self.prompts = prompts
        self.seed = seed
        self.options = options
        self.batchSize = batchSize
        self.klReference = klReference
        self.task = task
        self.workers = workers
    }

    /// Samples the held-out prompts and measures; `epoch` only labels the reading.
    /// Throws a `ConfigurationError` naming `monitor.diversity` when the diversity
    /// reward is not distribution-level (gives no batch value).
    public func measure(epoch: Int) async throws -> MonitorReading {
        let generator = Generator(seed: seed)
        var images: [RGBImage] = []
        var klSums: [Double] = []  // per DDIM step, summed over images
        for start in stride(from: 0, to: prompts.count, by: batchSize) {
            let chunk = Array(prompts[start..<min(start + batchSize, prompts.count)])
            let trajectory = sampler.sample(prompts: chunk, options: options, generator: generator)
            images += RewardInput(images: trajectory.images, prompts: chunk).images
            let perStep = klToBase(trajectory).map { $0 * Double(chunk.count) }
            klSums = klSums.isEmpty ? perStep : zip(klSums, perStep).map(+)
        }
        let klPerStep = klSums.map { $0 / Double(prompts.count) }
        let input = RewardInput(images: images, prompts: prompts)
        let scored = try await reward.score(input)
        let heldOut = EpochReport.mean(scored.rewards.filter(\.isFinite))
        guard let diversityValue = try await diversity.score(input).batchValue else {
            throw ConfigurationError(
                field: "monitor.diversity",
                message:
                    "reward '\(diversity.name)' is not distribution-level: it gives no batch value to log as diversity")
        }
        var reading = MonitorReading(
            epoch: epoch, heldOutReward: heldOut, diversity: diversityValue,
            klToBase: klPerStep.reduce(0, +) / Double(klPerStep.count),
            infoMeans: Evaluation.means(of: scored.info) ?? [:], task: task)
        reading.klToBaseByThird = Self.thirds(klPerStep)
        if let fidelity {
            let fidelityScores = try await fidelity.score(input)
            reading.fidelity = EpochReport.mean(fidelityScores.rewards.filter(\.isFinite))
            reading.fidelityInfoMeans = Evaluation.means(of: fidelityScores.info) ?? [:]
        }
        return reading
    }

    /// The means of the first, middle and last third of `values` (thirds as even as
    /// the count allows, the middle one taking the remainder); empty under 3 values.
    static func thirds(_ values: [Double]) -> [Double] {
        guard values.count >= 3 else { return [] }
        let edge = values.count / 3
        let parts = [values[..<edge], values[edge..<(values.count - edge)], values[(values.count - edge)...]]
        return parts.map { $0.reduce(0, +) / Double($0.count) }
    }

    /// For each DDIM step (in sampling order), the mean over the trajectory's samples
    /// of KL(policy step ‖ base step), both re-scored at the stored states x_t with
    /// the stored x_{t-1}.
    func klToBase(_ trajectory: Trajectory) -> [Double] {
        let batch = trajectory.latents.size(0)
        let steps = trajectory.latents.size(1) - 1
        let device = trajectory.latents.device
        let timesteps = trajectory.timesteps.to(device: device)
        /// Step k's DDIM step under `sampler`, at the stored x_t with the stored x_{t-1}.
        func step(_ k: Int, with sampler: TrajectorySampler) -> DDIMStep {
            withNoGrad {
                let t = timesteps.indexSelect(
                    dim: 0,
                    index: Tensor(Array(repeating: Int64(k), count: batch))
                        .to(device: device))
                return self.step(
                    with: sampler, trajectory.latents.select(dim: 1, index: k),
                    trajectory.latents.select(dim: 1, index: k + 1), t, trajectory)
            }
        }
        // The policy's steps, then the reference's (switched on once: for LoRA the shared
        // UNet's adapters off), each spread over `workers`; the KL in step order.
        var policy: [DDIMStep] = []
        OrderedWork.run(
            count: steps, workers: workers, produce: { step($0, with: sampler) },
            deliver: { _, value in policy.append(value) })
        var referenceMeans: [Tensor] = []
        klReference.withReference(trained: sampler) { reference in
            OrderedWork.run(
                count: steps, workers: workers, produce: { step($0, with: reference).mean },
                deliver: { _, mean in referenceMeans.append(mean) })
        }
        return withNoGrad {
            zip(policy, referenceMeans).map { step, referenceMean in
                KLPenalty.divergence(
                    mean: step.mean, referenceMean: referenceMean,
                    standardDeviation: step.standardDeviation
                ).mean().item()
            }
        }
    }

    /// The DDIM step `sampler`'s model takes at x_t, guided as the samples were drawn.
    private func step(
        with sampler: TrajectorySampler, _ current: Tensor, _ next: Tensor, _ timesteps: Tensor,
        _ trajectory: Trajectory
    ) -> DDIMStep {
        sampler.step(
            latents: current, timesteps: timesteps, promptEmbeddings: trajectory.promptEmbeddings,
            negativeEmbedding: trajectory.negativeEmbedding, guidanceScale: options.guidanceScale,
            inferenceSteps: options.steps, eta: options.eta, previousSample: next)
    }
}
