import DiffusionModels
import Foundation
import Torch
import TorchNN
import XCTest

@testable import DDPO

final class PolicyUpdateTests: XCTestCase {
    static let tinySD1 = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/tiny-sd1")

    /// A tiny pipeline with LoRA on its UNet, and one epoch of 4 samples (6 steps).
    private func setUp(learningRate: Double, seed: UInt64 = 7) throws -> (TrajectorySampler, AdamW, EpochSamples) {
        Runtime.threadCount = 1
        let model = try StableDiffusion.load(directory: Self.tinySD1)
        try applyLoRA(to: model.unet, rank: 4, alpha: 4, generator: Generator(seed: seed))
        // Non-zero adapters, so the policy actually depends on them.
        withNoGrad {
            for (_, layer) in model.unet.loraLayers() {
                layer.loraB.weight.copy(
                    from: Tensor.randn(layer.loraB.weight.shape, generator: Generator(seed: seed)) * 0.05)
            }
        }
        let sampler = TrajectorySampler(model: model)
        let trajectory = sampler.sample(
            prompts: ["a red circle", "a blue square", "a red circle", "two stars"],
            options: SamplingOptions(steps: 6, guidanceScale: 5, eta: 1),
            generator: Generator(seed: seed))
        let samples = EpochSamples(
            trajectories: [trajectory], rewards: [1, -1, 0.5, 2],
            advantages: [1, -1, 0.5, 2])
        let optimizer = AdamW(
            parameters: model.unet.trainableParameters(),
            configuration: .init(learningRate: learningRate, weightDecay: 1e-4))
        return (sampler, optimizer, samples)
    }

    /// The `train:` section of these tests: train batches of 2, RWR at β = 0.2 and the 50th percentile.
    private func settings(
        _ algorithm: TrainingAlgorithm, clipRange: Double = 1e-4,
        accumulation: Int = 1
    ) -> TrainingConfiguration.Train {
        TrainingConfiguration.Train(
            algorithm: algorithm, batchSize: 2, gradientAccumulationSteps: accumulation,
            clipRange: clipRange, rwrBeta: 0.2, rwrPercentile: 50)
    }

    /// The samples' 6 steps, guidance 5, eta 1.
    private let sampling = TrainingConfiguration.Sample(numSteps: 6)

    func testRecomputedLogProbsEqualStoredOnesBeforeAnyUpdate() throws {
        // With learning rate 0 every micro-batch sees the sampling policy: ratio 1, nothing clipped.
        let (sampler, optimizer, samples) = try setUp(learningRate: 0)
        let stats = try PolicyUpdate(
            sampler: sampler, optimizer: optimizer, train: settings(.ddpoIS), sampling: sampling
        ).run(on: samples, generator: Generator(seed: 1))
        XCTAssertEqual(stats.microBatches, 2 * 6)
        XCTAssertEqual(stats.optimizerSteps, 2)
        XCTAssertEqual(stats.steps.count, 2)
        XCTAssertEqual(stats.steps.map(\.microBatches), [6, 6])
        XCTAssertEqual(stats.steps.map(\.clipFraction), [0, 0])
        XCTAssertEqual(stats.clipFraction, 0)
        XCTAssertLessThan(stats.approxKL, 1e-10, "recomputed log-probs differ from the stored ones")
        // ratio = 1 everywhere: the PPO loss is -mean(A) averaged over micro-batches.
        XCTAssertEqual(stats.loss, -(1 - 1 + 0.5 + 2) / 4, accuracy: 1e-5)
    }

    func testUpdateMovesOnlyTheAdaptersAndClipsItsSteps() throws {
        let (sampler, optimizer, samples) = try setUp(learningRate: 3e-3)
        let model = sampler.model
        let baseBefore = model.unet.parameterDictionary().filter { !$0.key.contains("lora_") }
            .mapValues { $0.detached().clone() }
        let loraBefore = model.unet.loraParameters().map { $0.tensor.detached().clone() }
        let stats = try PolicyUpdate(
            sampler: sampler, optimizer: optimizer, train: settings(.ddpoIS), sampling: sampling
        ).run(on: samples, generator: Generator(seed: 1))
        XCTAssertGreaterThan(stats.gradientNorm, 0)
        // After the first optimizer step the ratio leaves [1 - eps, 1 + eps] for some samples.
        XCTAssertGreaterThan(stats.clipFraction, 0)
        for (name, tensor) in model.unet.parameterDictionary() where !name.contains("lora_") {
            XCTAssertEqual((tensor - baseBefore[name]!).abs().max().item(), 0, "\(name) changed")
        }
        let moved = zip(model.unet.loraParameters(), loraBefore).map { ($0.tensor - $1).abs().max().item() }
        XCTAssertGreaterThan(moved.max() ?? 0, 0)
    }

    func testSameGeneratorSameUpdate() throws {
        func finalAdapters() throws -> [Float] {
            let (sampler, optimizer, samples) = try setUp(learningRate: 1e-3)
            _ = try PolicyUpdate(
                sampler: sampler, optimizer: optimizer, train: settings(.ddpoSF, accumulation: 2), sampling: sampling
            ).run(on: samples, generator: Generator(seed: 3))
            return sampler.model.unet.loraParameters().flatMap { $0.tensor.toArray(Float.self) }
        }
        XCTAssertEqual(try finalAdapters(), try finalAdapters())
    }

    func testRewardWeightedRegressionTrains() throws {
        for algorithm in [TrainingAlgorithm.rwr, .rwrSparse] {
            let (sampler, optimizer, samples) = try setUp(learningRate: 1e-3)
            let stats = try PolicyUpdate(
                sampler: sampler, optimizer: optimizer, train: settings(algorithm), sampling: sampling
            ).run(on: samples, generator: Generator(seed: 1))
            XCTAssertGreaterThan(stats.loss, 0, "\(algorithm)")
            XCTAssertGreaterThan(stats.gradientNorm, 0, "\(algorithm)")
        }
    }
}

extension PolicyUpdateTests {
    /// Sum over steps of log p(x_{t-1} | x_t) of each sample's recorded trajectory under the current policy.
    private func trajectoryLogProbs(_ sampler: TrajectorySampler, _ samples: EpochSamples) -> [Double] {
        withNoGrad {
            (0..<samples.count).map { i in
                var total = 0.0
                for k in 0..<samples.stepCount {
                    let t = samples.timesteps[k].itemInt()
                    let latents = samples.latents[i].select(dim: 0, index: k).unsqueezed(0)
                    let next = samples.latents[i].select(dim: 0, index: k + 1).unsqueezed(0)
                    let timesteps = Tensor([Int64(t)])
                    let output = sampler.guidedNoisePrediction(
                        latents: latents, timesteps: timesteps,
                        promptEmbeddings: samples.promptEmbeddings[i].unsqueezed(0),
                        negativeEmbedding: samples.negativeEmbedding, guidanceScale: 5)
                    total += sampler.model.scheduler.step(
                        modelOutput: output, timesteps: timesteps, sample: latents,
                        inferenceSteps: samples.stepCount, eta: 1,
                        previousSample: next
                    ).logProbability.item()
                }
                return total
            }
        }
    }

    func testUpdatesRaiseTheLikelihoodOfSamplesWithPositiveAdvantage() throws {
        for objective in [TrainingAlgorithm.ddpoSF, .ddpoIS] {
            var (sampler, optimizer, samples) = try setUp(learningRate: 1e-3)
            samples.advantages = [1, -1, 1, -1]
            let before = trajectoryLogProbs(sampler, samples)
            _ = try PolicyUpdate(
                sampler: sampler, optimizer: optimizer, train: settings(objective, clipRange: 1e-2), sampling: sampling
            ).run(on: samples, generator: Generator(seed: 2))
            let after = trajectoryLogProbs(sampler, samples)
            let change = zip(after, before).map { $0 - $1 }
            for i in 0..<4 {
                XCTAssertEqual(
                    change[i] > 0, samples.advantages[i] > 0,
                    "\(objective): sample \(i) with advantage \(samples.advantages[i]) changed by \(change[i])")
            }
        }
    }
}
