import DiffusionModels
import Foundation
import Schedulers
import Torch

/// Settings of the policy update (the `train` section of the configuration).
public struct PolicyUpdateSettings: Equatable, Sendable {
    public var objective: PolicyObjective = .ddpoIS(clipRange: 1e-4)
    public var batchSize: Int = 1
    public var gradientAccumulationSteps: Int = 1
    public var innerEpochs: Int = 1
    /// Fraction of each trajectory's steps trained on (the first ones after shuffling).
    public var timestepFraction: Double = 1.0
    public var maxGradNorm: Double = 1.0
    /// Recompute the guided prediction (as sampled) rather than the conditional one.
    public var classifierFreeGuidance: Bool = true
    public var guidanceScale: Double = 5.0
    public var eta: Double = 1.0
    /// Weight of the KL penalty toward the reference policy (`KLPenalty`); 0: off.
    public var klWeight: Double = 0
    /// Weight of the pretraining loss added at each optimizer step (`PretrainingLoss`); 0: off.
    public var pretrainLossWeight: Double = 0

    public init() {}

    /// Steps of each trajectory used for training.
    func trainedSteps(of total: Int) -> Int { max(1, Int(Double(total) * timestepFraction)) }
}

/// What one optimizer step saw (means over its micro-batches; the norm before clipping).
public struct OptimizerStepStatistics: Equatable, Sendable {
    public var loss: Double = 0
    public var approxKL: Double = 0
    public var clipFraction: Double = 0
    public var gradientNorm: Double = 0
    public var microBatches: Int = 0
    /// Mean KL to the reference (before weighting); nil when the penalty is off.
    public var klPenalty: Double?
    /// The pretraining loss of this step (before weighting); nil when it is off.
    public var pretrainLoss: Double?
}

/// What one epoch's update measured (means over micro-batches / optimizer steps),
/// and each optimizer step's own figures.
public struct PolicyUpdateStatistics: Equatable, Sendable {
    public var loss: Double = 0
    public var approxKL: Double = 0
    public var clipFraction: Double = 0
    public var gradientNorm: Double = 0
    public var optimizerSteps: Int = 0
    public var microBatches: Int = 0
    /// Mean over micro-batches of the KL to the reference (before weighting); nil when off.
    public var klPenalty: Double?
    /// Mean over optimizer steps of the pretraining loss (before weighting); nil when off.
    public var pretrainLoss: Double?
    public var steps: [OptimizerStepStatistics] = []
}

/// The inner loop of DDPO (ALGORITHM.md §2, step 3): for each inner epoch, shuffle
/// the samples and, independently per sample, the order of their steps; for each
/// train batch and each kept step, recompute the model output and the loss, and
/// accumulate gradients over steps × `gradientAccumulationSteps` batches before one
/// clipped AdamW step. All randomness comes from the given generator (and the
/// pretraining loss's own seed).
///
/// Regularisation (Zhang et al. 2024): with `klWeight` > 0 each micro-batch's loss
/// also gets `klWeight ×` the batch mean of the KL to `klReference`
/// (`KLPenalty`); with `pretrainLossWeight` > 0 each optimizer step also gets
/// `pretrainLossWeight ×` the denoising loss of `pretraining`. The logged `loss`
/// stays the objective alone, comparable across runs; the two terms are logged apart.
public struct PolicyUpdate {
    public let sampler: TrajectorySampler
    public let optimizer: AdamW
    public let settings: PolicyUpdateSettings
    /// Inference steps of the sampling run (sets the DDIM step size).
    public let inferenceSteps: Int
    /// The reference of the KL penalty; required when `settings.klWeight` > 0.
    public let klReference: KLReference?
    /// The pretraining loss; required when `settings.pretrainLossWeight` > 0.
    public let pretraining: PretrainingLoss?

    public init(sampler: TrajectorySampler, optimizer: AdamW, settings: PolicyUpdateSettings, inferenceSteps: Int,
                klReference: KLReference? = nil, pretraining: PretrainingLoss? = nil) {
        precondition(settings.klWeight == 0 || klReference != nil, "PolicyUpdate: a KL weight needs a KL reference")
        precondition(settings.pretrainLossWeight == 0 || pretraining != nil,
                     "PolicyUpdate: a pretraining-loss weight needs a PretrainingLoss")
        self.sampler = sampler
        self.optimizer = optimizer
        self.settings = settings
        self.inferenceSteps = inferenceSteps
        self.klReference = klReference
        self.pretraining = pretraining
    }

    public func run(on samples: EpochSamples, generator: Generator,
                    progress: ((Int, Int) -> Void)? = nil) -> PolicyUpdateStatistics {
        let n = samples.count
        let steps = samples.stepCount
        let trained = settings.trainedSteps(of: steps)
        let batchSize = min(settings.batchSize, n)
        let batchStarts = Array(stride(from: 0, to: n, by: batchSize))
        let microPerOptimizerStep = settings.gradientAccumulationSteps * trained
        let totalMicro = settings.innerEpochs * batchStarts.count * trained
        let weights = regressionWeights(samples)
        var stats = PolicyUpdateStatistics()
        var current = OptimizerStepStatistics()
        var pending = 0
        optimizer.zeroGrad()

        for _ in 0..<settings.innerEpochs {
            let order = Tensor.randperm(n, generator: generator).toArray(Int.self)
            // Row i: the order in which sample order[i] visits its steps.
            let stepOrders = (0..<n).map { _ in Tensor.randperm(steps, generator: generator).toArray(Int.self) }
            for start in batchStarts {
                let rows = Array(start..<min(start + batchSize, n))
                let sampleIndices = rows.map { order[$0] }
                for j in 0..<trained {
                    let stepIndices = rows.map { stepOrders[$0][j] }
                    let (loss, kl, clipped, penalty) = microBatchLoss(samples, sampleIndices, stepIndices, weights,
                                                                      generator)
                    let total = penalty.map { loss + settings.klWeight * $0 } ?? loss
                    (total / Double(microPerOptimizerStep)).backward()
                    let lossValue = loss.item()
                    stats.loss += lossValue
                    stats.approxKL += kl
                    stats.clipFraction += clipped
                    stats.microBatches += 1
                    current.loss += lossValue
                    current.approxKL += kl
                    current.clipFraction += clipped
                    current.microBatches += 1
                    if let penalty {
                        let value = penalty.item()
                        stats.klPenalty = (stats.klPenalty ?? 0) + value
                        current.klPenalty = (current.klPenalty ?? 0) + value
                    }
                    pending += 1
                    if pending == microPerOptimizerStep {
                        let norm = step(&current, index: stats.optimizerSteps)
                        finish(&current, gradientNorm: norm, into: &stats)
                        pending = 0
                    }
                    progress?(stats.microBatches, totalMicro)
                }
            }
        }
        if pending > 0 {
            // A last, partial accumulation (batches not divisible by the accumulation steps).
            let norm = step(&current, index: stats.optimizerSteps)
            finish(&current, gradientNorm: norm, into: &stats)
        }
        let micro = Double(max(stats.microBatches, 1))
        stats.loss /= micro
        stats.approxKL /= micro
        stats.clipFraction /= micro
        stats.klPenalty = stats.klPenalty.map { $0 / micro }
        stats.pretrainLoss = stats.pretrainLoss.map { $0 / Double(max(stats.optimizerSteps, 1)) }
        stats.gradientNorm /= Double(max(stats.optimizerSteps, 1))
        return stats
    }

    private func finish(_ current: inout OptimizerStepStatistics, gradientNorm: Double,
                        into stats: inout PolicyUpdateStatistics) {
        let count = Double(max(current.microBatches, 1))
        current.loss /= count
        current.approxKL /= count
        current.clipFraction /= count
        current.klPenalty = current.klPenalty.map { $0 / count }
        current.gradientNorm = gradientNorm
        if let pretrainLoss = current.pretrainLoss { stats.pretrainLoss = (stats.pretrainLoss ?? 0) + pretrainLoss }
        stats.gradientNorm += gradientNorm
        stats.optimizerSteps += 1
        stats.steps.append(current)
        current = OptimizerStepStatistics()
    }

    /// Adds the pretraining loss's gradient (when on), clips, updates; returns the norm before clipping.
    /// `index`: the optimizer step's number within the epoch, which picks its pretraining batch.
    private func step(_ current: inout OptimizerStepStatistics, index: Int) -> Double {
        if settings.pretrainLossWeight > 0, let pretraining {
            let loss = pretraining.loss(step: index)
            (settings.pretrainLossWeight * loss).backward()
            current.pretrainLoss = loss.item()
        }
        let parameters = optimizer.parameters.map(\.tensor)
        let norm = clipGradientNorm(parameters, maxNorm: settings.maxGradNorm)
        optimizer.update()
        optimizer.zeroGrad()
        return norm
    }

    /// RWR's per-sample weights over the whole epoch (1 for the other objectives).
    private func regressionWeights(_ samples: EpochSamples) -> [Double] {
        switch settings.objective {
        case .rwr(let beta):
            return RewardWeightedRegression(beta: beta).weights(rewards: samples.rewards)
        case .rwrSparse(let percentile):
            return SparseRewardWeightedRegression(percentile: percentile).mask(rewards: samples.rewards).map { $0 ? 1 : 0 }
        case .ddpoIS, .ddpoSF:
            return Array(repeating: 1, count: samples.count)
        }
    }

    /// The loss of one micro-batch: samples `sampleIndices`, each at its own step `stepIndices[i]`.
    /// Returns the objective's loss, its approx KL and clip fraction, and the batch mean of
    /// the KL penalty (nil when off).
    private func microBatchLoss(_ samples: EpochSamples, _ sampleIndices: [Int], _ stepIndices: [Int],
                                _ weights: [Double], _ generator: Generator) -> (Tensor, Double, Double, Tensor?) {
        let model = sampler.model
        let device = samples.latents.device
        let index = Tensor(sampleIndices.map(Int64.init)).to(device: device)
        let stepIndex = Tensor(stepIndices.map(Int64.init)).to(device: device)
        let timesteps = samples.timesteps.to(device: device).indexSelect(dim: 0, index: stepIndex)  // [b]
        let embeddings = samples.promptEmbeddings.indexSelect(dim: 0, index: index)
        // Views of the stored trajectories, stacked: only the b needed states are copied.
        func latentsAt(steps: [Int]) -> Tensor {
            Tensor.stack(zip(sampleIndices, steps).map { samples.latents[$0.0].select(dim: 0, index: $0.1) })
        }
        let state = ReScoredState(current: latentsAt(steps: stepIndices), next: latentsAt(steps: stepIndices.map { $0 + 1 }),
                                  timesteps: timesteps, promptEmbeddings: embeddings,
                                  negativeEmbedding: samples.negativeEmbedding)

        let result: (Tensor, Double, Double)
        var policyStep: DDIMStep?
        switch settings.objective {
        case .ddpoIS, .ddpoSF:
            let step = reScore(state)
            policyStep = step
            let newLogProbs = step.logProbability
            let oldLogProbs = Tensor.stack(zip(sampleIndices, stepIndices).map {
                samples.logProbabilities[$0.0].select(dim: 0, index: $0.1)
            }).to(device: device)
            let advantages = Tensor(sampleIndices.map { Float(samples.advantages[$0]) }).to(device: device)
            if case .ddpoIS(let clipRange) = settings.objective {
                let ppo = PPOObjective(clipRange: clipRange).evaluate(
                    newLogProbs: newLogProbs, oldLogProbs: oldLogProbs, advantages: advantages)
                result = (ppo.loss, ppo.approxKL, ppo.clipFraction)
            } else {
                let kl = withNoGrad { 0.5 * (newLogProbs - oldLogProbs).square().mean().item() }
                result = (ScoreFunctionObjective().loss(logProbs: newLogProbs, advantages: advantages), kl, 0)
            }
        case .rwr, .rwrSparse:
            // The ordinary denoising loss on the final samples x_0 at this step's timestep.
            let original = latentsAt(steps: Array(repeating: samples.stepCount, count: sampleIndices.count))
            let noise = Tensor.randn(original.shape, dtype: original.dtype, device: generator.device,
                                     generator: generator).to(device: device)
            let noisy = model.scheduler.schedule.addNoise(to: original, noise: noise, timesteps: timesteps)
            let prediction = sampler.noisePrediction(latents: noisy, timesteps: timesteps, encoderHiddenStates: embeddings)
            let target = model.scheduler.schedule.trainingTarget(original: original, noise: noise, timesteps: timesteps)
            let batchWeights = sampleIndices.map { weights[$0] }
            if case .rwrSparse(let percentile) = settings.objective {
                let loss = SparseRewardWeightedRegression(percentile: percentile).loss(
                    predictedNoise: prediction, targetNoise: target, mask: batchWeights.map { $0 > 0 })
                result = (loss, 0, 0)
            } else {
                // The weights were computed over the whole epoch; beta is not used again here.
                let loss = RewardWeightedRegression().loss(predictedNoise: prediction, targetNoise: target,
                                                           sampleWeights: batchWeights)
                result = (loss, 0, 0)
            }
        }
        guard settings.klWeight > 0, let klReference else { return (result.0, result.1, result.2, nil) }
        // RWR does not re-score the trajectory, but the penalty still needs the policy's step
        // there: it costs one more (guided) forward pass per micro-batch.
        let step = policyStep ?? reScore(state)
        let referenceMean = klReference.evaluate(trained: sampler) { reScore(state, with: $0).mean }
        let penalty = KLPenalty.divergence(mean: step.mean, referenceMean: referenceMean,
                                           standardDeviation: step.standardDeviation).mean()
        return (result.0, result.1, result.2, penalty)
    }

    /// The current policy's DDIM step at stored states, re-scoring the stored x_{t-1}:
    /// the guided prediction (as sampled) when `classifierFreeGuidance`, else the conditional one.
    private func reScore(_ state: ReScoredState, with sampler: TrajectorySampler? = nil) -> DDIMStep {
        let sampler = sampler ?? self.sampler
        let output = settings.classifierFreeGuidance
            ? sampler.guidedNoisePrediction(latents: state.current, timesteps: state.timesteps,
                                            promptEmbeddings: state.promptEmbeddings,
                                            negativeEmbedding: state.negativeEmbedding,
                                            guidanceScale: settings.guidanceScale)
            : sampler.noisePrediction(latents: state.current, timesteps: state.timesteps,
                                      encoderHiddenStates: state.promptEmbeddings)
        return sampler.model.scheduler.step(modelOutput: output, timesteps: state.timesteps, sample: state.current,
                                            inferenceSteps: inferenceSteps, eta: settings.eta, previousSample: state.next)
    }
}

/// The stored states of one micro-batch: x_t, the recorded x_{t-1}, t and the prompts.
struct ReScoredState {
    var current: Tensor
    var next: Tensor
    var timesteps: Tensor
    var promptEmbeddings: Tensor
    var negativeEmbedding: Tensor
}
