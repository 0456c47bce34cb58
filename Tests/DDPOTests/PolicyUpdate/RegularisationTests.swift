import DiffusionModels
import Foundation
import Pretraining
import Schedulers
import ShapesWorld
import Torch
import TorchNN
import XCTest

@testable import DDPO

/// The KL penalty and the pretraining loss inside the policy update, against
/// computations written out here independently.
final class RegularisationTests: XCTestCase {
    /// The tiny pipeline with LoRA (adapters at zero unless `randomAdapters`) and an epoch of 4 samples × 6 steps.
    private func setUp(
        randomAdapters: Bool, learningRate: Double = 0,
        advantages: [Double] = [0, 0, 0, 0]
    ) throws -> (TrajectorySampler, AdamW, EpochSamples) {
        Runtime.threadCount = 1
        let model = try StableDiffusion.load(directory: PolicyUpdateTests.tinySD1)
        try applyLoRA(to: model.unet, rank: 4, alpha: 4, generator: Generator(seed: 7))
        if randomAdapters {
            withNoGrad {
                for (_, layer) in model.unet.loraLayers() {
                    layer.loraB.weight.copy(
                        from: Tensor.randn(layer.loraB.weight.shape, generator: Generator(seed: 7)) * 0.05)
                }
            }
        }
        let sampler = TrajectorySampler(model: model)
        let trajectory = sampler.sample(
            prompts: ["a red circle", "a blue square", "a red circle", "two stars"],
            options: SamplingOptions(steps: 6, guidanceScale: 5, eta: 1),
            generator: Generator(seed: 7))
        let samples = EpochSamples(trajectories: [trajectory], rewards: advantages, advantages: advantages)
        let optimizer = AdamW(
            parameters: model.unet.trainableParameters(),
            configuration: .init(learningRate: learningRate, weightDecay: 1e-4))
        return (sampler, optimizer, samples)
    }

    /// The `train:` section of these tests (RWR at β = 0.2); the norm is reported
    /// before clipping anyway, so the step is left unclipped.
    private func settings(
        _ algorithm: TrainingAlgorithm = .ddpoSF, batchSize: Int, klWeight: Double = 0,
        pretrainLossWeight: Double = 0
    ) -> TrainingConfiguration.Train {
        TrainingConfiguration.Train(
            algorithm: algorithm, batchSize: batchSize, maxGradNorm: 1e9, rwrBeta: 0.2,
            klWeight: klWeight, pretrainLossWeight: pretrainLossWeight)
    }

    /// The samples' 6 steps, guidance 5, eta 1.
    private let sampling = TrainingConfiguration.Sample(numSteps: 6)

    /// Σ over every (sample, step) of ‖μ_θ − μ_ref‖² / (2σ²), the guided means at scale 5,
    /// the reference with the adapters off; differentiable in the adapters.
    private func summedKL(_ sampler: TrajectorySampler, _ samples: EpochSamples) -> Tensor {
        var total = Tensor(scalar: 0)
        for i in 0..<samples.count {
            for k in 0..<samples.stepCount {
                let latents = samples.latents[i].select(dim: 0, index: k).unsqueezed(0)
                let next = samples.latents[i].select(dim: 0, index: k + 1).unsqueezed(0)
                let timesteps = Tensor([Int64(samples.timesteps[k].itemInt())])
                func step() -> DDIMStep {
                    let output = sampler.guidedNoisePrediction(
                        latents: latents, timesteps: timesteps,
                        promptEmbeddings: samples.promptEmbeddings[i].unsqueezed(0),
                        negativeEmbedding: samples.negativeEmbedding, guidanceScale: 5)
                    return sampler.model.scheduler.step(
                        modelOutput: output, timesteps: timesteps, sample: latents,
                        inferenceSteps: 6, eta: 1, previousSample: next)
                }
                let policy = step()
                let reference = withNoGrad { sampler.model.unet.withLoRADisabled { step().mean } }
                total = total + ((policy.mean - reference).square() / (2.0 * policy.standardDeviation.square())).sum()
            }
        }
        return total
    }

    private func gradientNorm(_ optimizer: AdamW) -> Double {
        optimizer.parameters.map { ($0.tensor.grad?.square().sum().item() ?? 0) }.reduce(0, +).squareRoot()
    }

    func testKLIsExactlyZeroBeforeTheFirstUpdateAndPositiveAfterIt() throws {
        // New adapters (B = 0): the policy is the base model bitwise until the first step moves B.
        let (sampler, optimizer, samples) = try setUp(
            randomAdapters: false, learningRate: 1e-2,
            advantages: [1, -1, 0.5, 2])
        let stats = try PolicyUpdate(
            sampler: sampler, optimizer: optimizer, train: settings(batchSize: 2, klWeight: 1),
            sampling: sampling, klReference: .adaptersOff
        )
        .run(on: samples, generator: Generator(seed: 1))
        XCTAssertEqual(stats.steps.count, 2)
        XCTAssertEqual(stats.steps[0].klPenalty, 0)
        XCTAssertGreaterThan(stats.steps[1].klPenalty ?? 0, 0)
        XCTAssertEqual(stats.klPenalty!, (stats.steps[0].klPenalty! + stats.steps[1].klPenalty!) / 2, accuracy: 1e-12)
        XCTAssertNil(stats.pretrainLoss)
    }

    func testThePenaltysGradientIsTheIndependentOne() throws {
        // Zero advantages: the score-function objective contributes no gradient, so with one
        // optimizer step over every (sample, step) pair the gradient is w / 24 · ∇ Σ KL.
        let weight = 0.7
        let (sampler, optimizer, samples) = try setUp(randomAdapters: true)
        let stats = try PolicyUpdate(
            sampler: sampler, optimizer: optimizer,
            train: settings(batchSize: 4, klWeight: weight), sampling: sampling,
            klReference: .adaptersOff
        ).run(on: samples, generator: Generator(seed: 1))
        XCTAssertEqual(stats.optimizerSteps, 1)
        XCTAssertEqual(stats.microBatches, 6)

        optimizer.zeroGrad()
        let total = summedKL(sampler, samples)
        (weight / 24 * total).backward()
        let expectedNorm = gradientNorm(optimizer)
        XCTAssertGreaterThan(expectedNorm, 0)
        XCTAssertEqual(stats.gradientNorm, expectedNorm, accuracy: 1e-4 * expectedNorm)
        XCTAssertEqual(stats.klPenalty!, total.item() / 24, accuracy: 1e-4 * total.item() / 24)
        XCTAssertEqual(stats.loss, 0, "the logged loss is the objective's alone")

        // Without the penalty the same update has no gradient at all.
        let (plainSampler, plainOptimizer, plainSamples) = try setUp(randomAdapters: true)
        let plain = try PolicyUpdate(
            sampler: plainSampler, optimizer: plainOptimizer, train: settings(batchSize: 4),
            sampling: sampling
        ).run(on: plainSamples, generator: Generator(seed: 1))
        XCTAssertEqual(plain.gradientNorm, 0)
        XCTAssertNil(plain.klPenalty)
    }

    func testRewardWeightedRegressionTakesThePenaltyToo() throws {
        let (sampler, optimizer, samples) = try setUp(
            randomAdapters: true, learningRate: 1e-3,
            advantages: [1, -1, 0.5, 2])
        let stats = try PolicyUpdate(
            sampler: sampler, optimizer: optimizer,
            train: settings(.rwr, batchSize: 2, klWeight: 0.1),
            sampling: sampling, klReference: .adaptersOff
        )
        .run(on: samples, generator: Generator(seed: 1))
        XCTAssertGreaterThan(stats.klPenalty ?? 0, 0)
        XCTAssertTrue(stats.loss.isFinite && stats.loss > 0)
    }

    func testPretrainingLossIsTheDDPMLossOnTheDatasetsBatch() throws {
        let (sampler, _, _) = try setUp(randomAdapters: true)
        let model = sampler.model
        let dataset = ShapesWorldDataset(excludingHeldOut: true)
        let loss = PretrainingLoss(model: model, dataset: dataset, batchSize: 2, seed: 9)
        let value = withNoGrad { loss.loss(step: 3).item() }

        // Written out: items 6, 7 of stream 9; the step's own generator draws the VAE
        // sample, then t, then ε.
        let expected = withNoGrad { () -> Double in
            let (images, captions) = dataset.batch(seed: 9, first: 6, count: 2)
            let g = Generator(seed: RunSeeds.seed(9, epoch: 3, purpose: .pretraining))
            let posterior = model.vae.encode(images * 2.0 - 1.0)
            let latents =
                (posterior.mean + posterior.std * Tensor.randn(posterior.mean.shape, generator: g))
                * model.vae.configuration.scalingFactor
            let t = Tensor.randint(
                low: 0, high: model.scheduler.configuration.numTrainTimesteps, shape: [2], generator: g)
            let noise = Tensor.randn(latents.shape, generator: g)
            let a = model.scheduler.schedule.alphasCumprod.indexSelect(dim: 0, index: t).reshaped([2, 1, 1, 1])
            let noisy = a.sqrt() * latents + (1.0 - a).sqrt() * noise
            let prediction = model.unet(
                noisy, timesteps: t,
                encoderHiddenStates: model.textEncoder(model.tokenizer(captions)))
            return (prediction - noise).square().mean().item()
        }
        XCTAssertEqual(value, expected, accuracy: 1e-6 * expected)
        XCTAssertGreaterThan(value, 0)
        // Another step is another batch.
        XCTAssertNotEqual(withNoGrad { loss.loss(step: 4).item() }, value)
    }

    func testPretrainingLossEntersEachOptimizerStepWithItsWeight() throws {
        let weight = 0.5
        let (sampler, optimizer, samples) = try setUp(randomAdapters: true)
        let pretraining = PretrainingLoss(
            model: sampler.model, dataset: ShapesWorldDataset(excludingHeldOut: true),
            batchSize: 2, seed: 11)
        let stats = try PolicyUpdate(
            sampler: sampler, optimizer: optimizer,
            train: settings(batchSize: 4, pretrainLossWeight: weight), sampling: sampling,
            pretraining: pretraining
        ).run(on: samples, generator: Generator(seed: 1))
        XCTAssertEqual(stats.optimizerSteps, 1)
        XCTAssertNil(stats.klPenalty)

        optimizer.zeroGrad()
        let loss = pretraining.loss(step: 0)
        (weight * loss).backward()
        let expectedNorm = gradientNorm(optimizer)
        XCTAssertGreaterThan(expectedNorm, 0)
        XCTAssertEqual(stats.gradientNorm, expectedNorm, accuracy: 1e-5 * expectedNorm)
        XCTAssertEqual(stats.pretrainLoss!, loss.item(), accuracy: 1e-6 * loss.item())
        XCTAssertEqual(stats.steps[0].pretrainLoss, stats.pretrainLoss)
    }
}
