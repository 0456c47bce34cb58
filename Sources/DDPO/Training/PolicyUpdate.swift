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
    /// Threads computing the micro-batches of one accumulation window side by side
    /// (`OrderedWork`); the gradients are summed in micro-batch order, so the
    /// result does not depend on it.
    public var workers: Int = 1

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
        let trained = settings.trainedSteps(of: samples.stepCount)
        var plan = MicroBatchPlan(
            sampleCount: samples.count, stepCount: samples.stepCount, batchSize: settings.batchSize,
            trainedSteps: trained, innerEpochs: settings.innerEpochs,
            noiseShape: settings.objective.usesTrajectory ? nil : Array(samples.latents.shape.dropFirst(2)),
            noiseDType: samples.latents.dtype, generator: generator)
        let microPerOptimizerStep = settings.gradientAccumulationSteps * trained
        let totalMicro = plan.count
        let weights = regressionWeights(samples)
        let parameters = optimizer.parameters.map(\.tensor)
        var stats = PolicyUpdateStatistics()
        optimizer.zeroGrad()
        let workers = settings.workers
        // One optimizer step per window of micro-batches (the last may be partial);
        // within a window the weights are fixed, so its micro-batches are independent.
        while true {
            let window = plan.next(microPerOptimizerStep)
            if window.isEmpty { break }
            var current = OptimizerStepStatistics()
            // The KL penalty's reference, for the whole window first (see `referenceMeans`).
            var penaltyReferences: [Tensor]?
            if settings.klWeight > 0, let klReference {
                penaltyReferences = referenceMeans(samples, window, reference: klReference, workers: workers)
            }
            OrderedWork.run(count: window.count, workers: workers, produce: { index in
                let (loss, kl, clipped, penalty) = microBatchLoss(samples, window[index], weights,
                                                                  referenceMean: penaltyReferences?[index])
                let scaled = (penalty.map { loss + settings.klWeight * $0 } ?? loss) / Double(microPerOptimizerStep)
                // One worker accumulates in place, as it goes; several hand their gradients
                // over (one more gradient-sized buffer each) to be summed in order.
                var gradients: [Tensor?] = []
                if workers == 1 {
                    scaled.backward()
                } else {
                    gradients = Torch.gradients(of: [scaled], withRespectTo: parameters)
                }
                return MicroBatchResult(gradients: gradients, loss: loss.item(), approxKL: kl, clipFraction: clipped,
                                        klPenalty: penalty?.item())
            }, deliver: { _, result in
                // In micro-batch order, as backward() accumulates them one after another.
                accumulate(result.gradients, into: parameters)
                stats.loss += result.loss
                stats.approxKL += result.approxKL
                stats.clipFraction += result.clipFraction
                stats.microBatches += 1
                current.loss += result.loss
                current.approxKL += result.approxKL
                current.clipFraction += result.clipFraction
                current.microBatches += 1
                if let value = result.klPenalty {
                    stats.klPenalty = (stats.klPenalty ?? 0) + value
                    current.klPenalty = (current.klPenalty ?? 0) + value
                }
                progress?(stats.microBatches, totalMicro)
            })
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

    /// Adds one micro-batch's gradients to the parameters' `.grad`, as autograd's
    /// accumulation does (the first one is taken as it is, later ones added in place).
    private func accumulate(_ gradients: [Tensor?], into parameters: [Tensor]) {
        withNoGrad {
            for (parameter, gradient) in zip(parameters, gradients) {
                guard let gradient else { continue }
                if let existing = parameter.grad { existing.add(gradient) } else { parameter.grad = gradient }
            }
        }
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
}

/// What one micro-batch computed: its gradients (scaled for the accumulation; none
/// when already accumulated by `backward()`) and the values logged.
private struct MicroBatchResult {
    var gradients: [Tensor?]
    var loss: Double
    var approxKL: Double
    var clipFraction: Double
    var klPenalty: Double?
}
