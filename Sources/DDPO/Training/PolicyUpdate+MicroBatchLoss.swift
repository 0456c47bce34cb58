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
        return ReScoredState(current: latents(samples, sampleIndices, steps: stepIndices),
                             next: latents(samples, sampleIndices, steps: stepIndices.map { $0 + 1 }),
                             timesteps: timesteps, promptEmbeddings: embeddings,
                             negativeEmbedding: samples.negativeEmbedding)
    }

    /// Sample `sampleIndices[i]`'s stored latents at step `steps[i]`, stacked: views of
    /// the trajectories, so only the b needed states are copied.
    private func latents(_ samples: EpochSamples, _ sampleIndices: [Int], steps: [Int]) -> Tensor {
        Tensor.stack(zip(sampleIndices, steps).map { samples.latents[$0.0].select(dim: 0, index: $0.1) })
    }

    /// The reference policy's step means at each micro-batch's states (for the KL
    /// penalty), computed before the window's losses: the reference is switched on
    /// once for them all (for LoRA, the shared UNet's adapters off), so the losses can
    /// then run on `workers` threads with the adapters on.
    func referenceMeans(_ samples: EpochSamples, _ window: [MicroBatch], reference: KLReference,
                        workers: Int) -> [Tensor] {
        var means: [Tensor] = []
        reference.withReference(trained: sampler) { referenceSampler in
            OrderedWork.run(count: window.count, workers: workers, produce: { index in
                withNoGrad { reScore(state(samples, window[index]), with: referenceSampler).mean }
            }, deliver: { _, mean in means.append(mean) })
        }
        return means
    }

    /// The loss of one micro-batch: its samples, each at its own step. Returns the
    /// objective's loss, its approx KL and clip fraction, and the batch mean of the KL
    /// penalty toward `referenceMean` (nil when off).
    func microBatchLoss(_ samples: EpochSamples, _ microBatch: MicroBatch, _ weights: [Double],
                        referenceMean: Tensor?) -> (Tensor, Double, Double, Tensor?) {
        let sampleIndices = microBatch.sampleIndices
        let model = sampler.model
        let device = samples.latents.device
        let state = self.state(samples, microBatch)
        let timesteps = state.timesteps
        let embeddings = state.promptEmbeddings

        let result: (Tensor, Double, Double)
        var policyStep: DDIMStep?
        switch settings.objective {
        case .ddpoIS, .ddpoSF:
            let step = reScore(state)
            policyStep = step
            let newLogProbs = step.logProbability
            let oldLogProbs = Tensor.stack(zip(sampleIndices, microBatch.stepIndices).map {
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
            let original = latents(samples, sampleIndices, steps: Array(repeating: samples.stepCount, count: sampleIndices.count))
            guard let drawn = microBatch.noise else { preconditionFailure("PolicyUpdate: RWR micro-batch without noise") }
            let noise = drawn.to(device: device)
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
        guard settings.klWeight > 0, let referenceMean else { return (result.0, result.1, result.2, nil) }
        // RWR does not re-score the trajectory, but the penalty still needs the policy's step
        // there: it costs one more (guided) forward pass per micro-batch.
        let step = policyStep ?? reScore(state)
        let penalty = KLPenalty.divergence(mean: step.mean, referenceMean: referenceMean,
                                           standardDeviation: step.standardDeviation).mean()
        return (result.0, result.1, result.2, penalty)
    }

    /// The current policy's DDIM step at stored states, re-scoring the stored x_{t-1}:
    /// the guided prediction (as sampled) when `classifierFreeGuidance`, else the conditional one.
    func reScore(_ state: ReScoredState, with sampler: TrajectorySampler? = nil) -> DDIMStep {
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
