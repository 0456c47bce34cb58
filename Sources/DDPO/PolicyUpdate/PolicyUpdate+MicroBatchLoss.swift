import DiffusionModels
import Schedulers
import Torch

extension PolicyUpdate {
    /// The stored states of a micro-batch's samples, each at its own step.
    func state(_ samples: EpochSamples, _ microBatch: MicroBatch) -> ReScoredState {
        let sampleIndices = microBatch.sampleIndices
        let stepIndices = microBatch.stepIndices
        let device = samples.latents.device
        let index = Tensor(sampleIndices.map(Int64.init)).to(device: device)
        let stepIndex = Tensor(stepIndices.map(Int64.init)).to(device: device)
        let timesteps = samples.timesteps.to(device: device).indexSelect(dim: 0, index: stepIndex)  // [b]
        let embeddings = samples.promptEmbeddings.indexSelect(dim: 0, index: index)
        return ReScoredState(
            current: latents(samples, sampleIndices, steps: stepIndices),
            next: latents(samples, sampleIndices, steps: stepIndices.map { $0 + 1 }),
            timesteps: timesteps, promptEmbeddings: embeddings,
            negativeEmbedding: samples.negativeEmbedding)
    }

    /// Sample `sampleIndices[i]`'s stored latents at step `steps[i]`, stacked: views of
    /// the trajectories, so only the b needed states are copied.
    private func latents(_ samples: EpochSamples, _ sampleIndices: [Int], steps: [Int]) -> Tensor {
        Tensor.stack(zip(sampleIndices, steps).map { samples.latents[$0.0].select(dim: 0, index: $0.1) })
    }

    /// The reference policy's steps at each micro-batch's states (their means for the
    /// KL penalty, their log-probabilities for D3PO), computed before the window's
    /// losses: the reference is switched on once for them all (for LoRA, the shared
    /// UNet's adapters off), so the losses can then run on `workers` threads with the
    /// adapters on.
    func referenceSteps(
        _ samples: EpochSamples, _ window: [MicroBatch], reference: KLReference,
        workers: Int
    ) -> [DDIMStep] {
        var steps: [DDIMStep] = []
        reference.withReference(trained: sampler) { referenceSampler in
            OrderedWork.run(
                count: window.count, workers: workers,
                produce: { index in
                    withNoGrad { reScore(state(samples, window[index]), with: referenceSampler) }
                }, deliver: { _, step in steps.append(step) })
        }
        return steps
    }

    /// The loss of one micro-batch: its samples, each at its own step.
    func microBatchLoss(
        _ samples: EpochSamples, _ microBatch: MicroBatch, _ weights: [Double],
        reference: DDIMStep?
    ) -> MicroBatchLoss {
        let sampleIndices = microBatch.sampleIndices
        let model = sampler.model
        let device = samples.latents.device
        let state = self.state(samples, microBatch)
        let timesteps = state.timesteps
        let embeddings = state.promptEmbeddings

        var result: MicroBatchLoss
        var policyStep: DDIMStep?
        switch train.algorithm {
        case .ddpoIS, .ddpoSF:
            let step = reScore(state)
            policyStep = step
            let newLogProbs = step.logProbability
            let oldLogProbs = storedLogProbabilities(samples, microBatch)
            let advantages = Tensor(sampleIndices.map { Float(samples.advantages[$0]) }).to(device: device)
            if train.algorithm == .ddpoIS {
                let ppo = PPOObjective(clipRange: train.clipRange).evaluate(
                    newLogProbs: newLogProbs, oldLogProbs: oldLogProbs, advantages: advantages)
                result = MicroBatchLoss(loss: ppo.loss, approxKL: ppo.approxKL, clipFraction: ppo.clipFraction)
            } else {
                let kl = withNoGrad { 0.5 * (newLogProbs - oldLogProbs).square().mean().item() }
                result = MicroBatchLoss(
                    loss: ScoreFunctionObjective().loss(logProbs: newLogProbs, advantages: advantages),
                    approxKL: kl)
            }
        case .p3o:
            // The micro-batch holds whole pairs, each pair's two samples at one step.
            let step = reScore(state)
            policyStep = step
            let pairCount = sampleIndices.count / 2
            let oldLogProbs = storedLogProbabilities(samples, microBatch)
            let advantages = firstOfEachPair(samples.advantages, sampleIndices).to(device: device)
            let p3o = P3OObjective(clipRange: train.clipRange, clipping: train.p3oClipping).evaluate(
                newLogProbs: step.logProbability.reshaped([pairCount, 2]),
                oldLogProbs: oldLogProbs.reshaped([pairCount, 2]), advantages: advantages)
            result = MicroBatchLoss(loss: p3o.loss, approxKL: p3o.approxKL, clipFraction: p3o.clipFraction)
        case .d3po:
            // Whole pairs, as for p3o; the pair's preference h is the first sample's advantage.
            let step = reScore(state)
            policyStep = step
            guard let reference else { preconditionFailure("PolicyUpdate: d3po without the reference's steps") }
            let pairCount = sampleIndices.count / 2
            let preferences = firstOfEachPair(samples.advantages, sampleIndices).to(device: device)
            let d3po = D3POObjective(beta: train.dpoBeta, clipRange: train.dpoClipRange).evaluate(
                logProbs: step.logProbability.reshaped([pairCount, 2]),
                referenceLogProbs: reference.logProbability.reshaped([pairCount, 2]), preferences: preferences)
            let oldLogProbs = storedLogProbabilities(samples, microBatch)
            let approxKL = withNoGrad { 0.5 * (step.logProbability - oldLogProbs).square().mean().item() }
            result = MicroBatchLoss(loss: d3po.loss, approxKL: approxKL, clipFraction: d3po.clipFraction)
        case .rwr, .rwrSparse:
            // The ordinary denoising loss on the final samples x_0 at this step's timestep.
            let original = latents(
                samples, sampleIndices, steps: Array(repeating: samples.stepCount, count: sampleIndices.count))
            guard let drawn = microBatch.noise else {
                preconditionFailure("PolicyUpdate: RWR micro-batch without noise")
            }
            let noise = drawn.to(device: device)
            let noisy = model.scheduler.schedule.addNoise(to: original, noise: noise, timesteps: timesteps)
            let prediction = sampler.noisePrediction(
                latents: noisy, timesteps: timesteps, encoderHiddenStates: embeddings)
            let target = model.scheduler.schedule.trainingTarget(original: original, noise: noise, timesteps: timesteps)
            let batchWeights = sampleIndices.map { weights[$0] }
            if train.algorithm == .rwrSparse {
                let loss = SparseRewardWeightedRegression(percentile: train.rwrPercentile).loss(
                    predictedNoise: prediction, targetNoise: target, mask: batchWeights.map { $0 > 0 })
                result = MicroBatchLoss(loss: loss)
            } else {
                // The weights were computed over the whole epoch; beta is not used again here.
                let loss = RewardWeightedRegression().loss(
                    predictedNoise: prediction, targetNoise: target,
                    sampleWeights: batchWeights)
                result = MicroBatchLoss(loss: loss)
            }
        }
        guard train.klWeight > 0, let referenceMean = reference?.mean else { return result }
        // RWR does not re-score the trajectory, but the penalty still needs the policy's step
        // there: it costs one more (guided) forward pass per micro-batch.
        let step = policyStep ?? reScore(state)
        result.klPenalty = KLPenalty.divergence(
            mean: step.mean, referenceMean: referenceMean,
            standardDeviation: step.standardDeviation
        ).mean()
        return result
    }

    /// The value of each pair's first sample, [P]: a pair stores +A (p3o) or +h (d3po)
    /// on its first sample and the negation on its second.
    private func firstOfEachPair(_ values: [Double], _ sampleIndices: [Int]) -> Tensor {
        Tensor(stride(from: 0, to: sampleIndices.count, by: 2).map { Float(values[sampleIndices[$0]]) })
    }

    /// The log-probabilities recorded at sampling time of the micro-batch's samples,
    /// each at its step, [b] on the latents' device (constants of the objectives).
    private func storedLogProbabilities(_ samples: EpochSamples, _ microBatch: MicroBatch) -> Tensor {
        Tensor.stack(
            zip(microBatch.sampleIndices, microBatch.stepIndices).map {
                samples.logProbabilities[$0.0].select(dim: 0, index: $0.1)
            }
        ).to(device: samples.latents.device)
    }

    /// The current policy's DDIM step at stored states, re-scoring the stored x_{t-1}:
    /// the guided prediction (as sampled) when `train.cfg`, else the conditional one.
    func reScore(_ state: ReScoredState, with sampler: TrajectorySampler? = nil) -> DDIMStep {
        (sampler ?? self.sampler).step(
            latents: state.current, timesteps: state.timesteps, promptEmbeddings: state.promptEmbeddings,
            negativeEmbedding: state.negativeEmbedding, guidanceScale: train.cfg ? sampling.guidanceScale : 1,
            inferenceSteps: sampling.numSteps, eta: sampling.eta, previousSample: state.next)
    }
}

/// What one micro-batch computed: the objective's loss (what is differentiated),
/// its approx KL and clip fraction (logged), and the batch mean of the KL penalty
/// toward the reference (nil when off).
struct MicroBatchLoss {
    var loss: Tensor
    var approxKL: Double = 0
    var clipFraction: Double = 0
    var klPenalty: Tensor?
}

/// The stored states of one micro-batch: x_t, the recorded x_{t-1}, t and the prompts.
struct ReScoredState {
    var current: Tensor
    var next: Tensor
    var timesteps: Tensor
    var promptEmbeddings: Tensor
    var negativeEmbedding: Tensor
}
