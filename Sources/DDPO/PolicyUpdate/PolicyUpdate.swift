import DiffusionModels
import Foundation
import Schedulers
import Torch

/// The inner loop of DDPO (docs/algorithm.md §7, step 3): for each inner epoch, shuffle
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
    /// The `train:` section: the algorithm and its settings.
    public let train: TrainingConfiguration.Train
    /// The `sample:` section: the steps, guidance and eta the samples were drawn
    /// with, under which they are re-scored.
    public let sampling: TrainingConfiguration.Sample
    /// Threads computing the micro-batches of one accumulation window side by side
    /// (`OrderedWork`); the gradients are summed in micro-batch order, so the
    /// result does not depend on it.
    public let workers: Int
    /// The frozen reference policy of the KL penalty and of D3PO; required when
    /// `train.klWeight` > 0 or the algorithm `needsReference`.
    public let klReference: KLReference?
    /// The pretraining loss; required when `train.pretrainLossWeight` > 0.
    public let pretraining: PretrainingLoss?
    /// The ranks whose gradients are averaged before every optimizer step (`single`:
    /// this process alone).
    public let dataParallel: DataParallel
    /// Names this update in a failed collective's error ("epoch 3, task alignment").
    public let label: String

    public init(
        sampler: TrajectorySampler, optimizer: AdamW, train: TrainingConfiguration.Train,
        sampling: TrainingConfiguration.Sample, workers: Int = 1, klReference: KLReference? = nil,
        pretraining: PretrainingLoss? = nil, dataParallel: DataParallel = .single, label: String = ""
    ) {
        precondition(train.klWeight == 0 || klReference != nil, "PolicyUpdate: a KL weight needs a KL reference")
        precondition(
            !train.algorithm.needsReference || klReference != nil,
            "PolicyUpdate: \(train.algorithm.rawValue) needs the reference policy")
        precondition(
            train.pretrainLossWeight == 0 || pretraining != nil,
            "PolicyUpdate: a pretraining-loss weight needs a PretrainingLoss")
        self.sampler = sampler
        self.optimizer = optimizer
        self.train = train
        self.sampling = sampling
        self.workers = workers
        self.klReference = klReference
        self.pretraining = pretraining
        self.dataParallel = dataParallel
        self.label = label
    }

    /// Throws only in a data-parallel run, when a collective fails (`DistributedError`).
    public func run(
        on samples: EpochSamples, generator: Generator,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> PolicyUpdateStatistics {
        let trained = train.trainedSteps(of: samples.stepCount)
        var plan = MicroBatchPlan(
            sampleCount: samples.count, stepCount: samples.stepCount, batchSize: train.batchSize,
            trainedSteps: trained, innerEpochs: train.numInnerEpochs,
            noiseShape: train.algorithm.usesTrajectory ? nil : Array(samples.latents.shape.dropFirst(2)),
            noiseDType: samples.latents.dtype, generator: generator, pairs: train.algorithm.trainsOnPairs)
        let microPerOptimizerStep = train.gradientAccumulationSteps * trained
        let totalMicro = plan.count
        let weights = regressionWeights(samples)
        let parameters = optimizer.parameters.map(\.tensor)
        // `train.gradient_checkpointing` for this update's differentiated forward passes
        // only (sampling runs without grad, where it has no effect anyway).
        let unet = sampler.model.unet
        let wasCheckpointing = unet.gradientCheckpointing
        unet.gradientCheckpointing = train.gradientCheckpointing
        defer { unet.gradientCheckpointing = wasCheckpointing }
        var epoch = UpdateSums()
        var steps: [UpdateSums] = []
        optimizer.zeroGrad()
        // One optimizer step per window of micro-batches (the last may be partial);
        // within a window the weights are fixed, so its micro-batches are independent.
        // Every rank takes as many steps as the rank with the most samples (they differ
        // only when non-finite rewards were dropped): one with fewer adds zeros.
        let localSteps = (totalMicro + microPerOptimizerStep - 1) / microPerOptimizerStep
        let stepCount = try dataParallel.maximum(localSteps, "agreeing on the optimizer steps (\(label))")
        for _ in 0..<stepCount {
            let window = plan.next(microPerOptimizerStep)
            var current = UpdateSums()
            // The reference's steps, for the whole window first (see `referenceSteps`).
            var references: [DDIMStep]?
            if train.klWeight > 0 || train.algorithm.needsReference, let klReference {
                references = referenceSteps(samples, window, reference: klReference, workers: workers)
            }
            OrderedWork.run(
                count: window.count, workers: workers,
                produce: { index in
                    let result = microBatchLoss(
                        samples, window[index], weights, reference: references?[index])
                    let scaled =
                        (result.klPenalty.map { result.loss + train.klWeight * $0 } ?? result.loss)
                        / Double(microPerOptimizerStep)
                    // One worker accumulates in place, as it goes; several hand their gradients
                    // over (one more gradient-sized buffer each) to be summed in order.
                    var gradients: [Tensor?] = []
                    if workers == 1 {
                        scaled.backward()
                    } else {
                        gradients = Torch.gradients(of: [scaled], withRespectTo: parameters)
                    }
                    return (
                        gradients,
                        MicroBatchValues(
                            loss: result.loss.item(), approxKL: result.approxKL,
                            clipFraction: result.clipFraction,
                            klPenalty: result.klPenalty?.item())
                    )
                },
                deliver: { _, result in
                    // In micro-batch order, as backward() accumulates them one after another.
                    accumulate(result.0, into: parameters)
                    epoch.add(result.1)
                    current.add(result.1)
                    progress?(epoch.microBatches, totalMicro)
                })
            try dataParallel.averageGradients(
                of: parameters, "averaging gradients (\(label), optimizer step \(epoch.optimizerSteps + 1))")
            let (norm, pretrainLoss) = step(index: epoch.optimizerSteps)
            try dataParallel.requireIdentical(
                optimizer.trainingState,
                "comparing the ranks' weights (\(label), optimizer step \(epoch.optimizerSteps + 1))")
            current.addOptimizerStep(gradientNorm: norm, pretrainLoss: pretrainLoss)
            epoch.addOptimizerStep(gradientNorm: norm, pretrainLoss: pretrainLoss)
            steps.append(current)
        }
        if dataParallel.isDistributed {
            try sumAcrossRanks(&epoch, &steps)
        }
        return PolicyUpdateStatistics(sums: epoch, steps: steps.map(OptimizerStepStatistics.init))
    }

    /// The logged sums of every rank's micro-batches (loss, approx KL, clip fraction,
    /// KL penalty, their count), so the means are the whole epoch's; the gradient norm
    /// and the pretraining loss are already the same on every rank.
    private func sumAcrossRanks(_ epoch: inout UpdateSums, _ steps: inout [UpdateSums]) throws {
        let penalty = train.klWeight > 0
        let parts = [epoch] + steps
        let values: [Double] = parts.flatMap { sums -> [Double] in
            [sums.loss, sums.approxKL, sums.clipFraction, Double(sums.microBatches), sums.klPenalty ?? 0]
        }
        let summed = try dataParallel.sum(values, "summing the update's statistics (\(label))")
        var reduced = parts
        for index in reduced.indices {
            let base = index * 5
            reduced[index].loss = summed[base]
            reduced[index].approxKL = summed[base + 1]
            reduced[index].clipFraction = summed[base + 2]
            reduced[index].microBatches = Int(summed[base + 3])
            reduced[index].klPenalty = penalty ? summed[base + 4] : nil
        }
        epoch = reduced[0]
        steps = Array(reduced.dropFirst())
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

    /// Adds the pretraining loss's gradient (when on), clips, updates; returns the
    /// norm before clipping and the pretraining loss (before weighting). `index`: the
    /// optimizer step's number within the epoch, which picks its pretraining batch.
    private func step(index: Int) -> (gradientNorm: Double, pretrainLoss: Double?) {
        var pretrainLoss: Double?
        if train.pretrainLossWeight > 0, let pretraining {
            let loss = pretraining.loss(step: index)
            (train.pretrainLossWeight * loss).backward()
            pretrainLoss = loss.item()
        }
        let parameters = optimizer.parameters.map(\.tensor)
        let norm = clipGradientNorm(parameters, maxNorm: train.maxGradNorm)
        optimizer.update()
        optimizer.zeroGrad()
        return (norm, pretrainLoss)
    }

    /// RWR's per-sample weights over the whole epoch (1 for the other objectives).
    private func regressionWeights(_ samples: EpochSamples) -> [Double] {
        switch train.algorithm {
        case .rwr:
            return RewardWeightedRegression(beta: train.rwrBeta).weights(rewards: samples.rewards)
        case .rwrSparse:
            return SparseRewardWeightedRegression(percentile: train.rwrPercentile).mask(rewards: samples.rewards)
                .map { $0 ? 1 : 0 }
        case .ddpoIS, .ddpoSF, .p3o, .d3po:
            return Array(repeating: 1, count: samples.count)
        }
    }
}

extension TrainingConfiguration.Train {
    /// Steps of each trajectory used for training (`timestep_fraction`, at least one).
    func trainedSteps(of total: Int) -> Int { max(1, Int(Double(total) * timestepFraction)) }
}
