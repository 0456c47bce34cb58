import DiffusionModels
import Foundation
import Torch
import TorchNN
import XCTest

@testable import DDPO

/// `train.gradient_checkpointing` (`UNet2DConditionModel.gradientCheckpointing`): the
/// re-scored step of the tiny SD1 pipeline has bitwise the same loss and gradients
/// with and without it, for LoRA and for the whole UNet, and a policy update ends with
/// bitwise the same weights.
final class GradientCheckpointingTests: XCTestCase {
    /// The tiny pipeline at one thread, with LoRA adapters (non-zero, so the policy
    /// depends on them) or with every UNet weight trainable.
    private func model(lora: Bool) throws -> StableDiffusion {
        Runtime.threadCount = 1
        let model = try StableDiffusion.load(directory: PolicyUpdateTests.tinySD1)
        if lora {
            try applyLoRA(to: model.unet, rank: 4, alpha: 4, generator: Generator(seed: 3))
            withNoGrad {
                for (_, layer) in model.unet.loraLayers() {
                    layer.loraB.weight.copy(
                        from: Tensor.randn(layer.loraB.weight.shape, generator: Generator(seed: 4)) * 0.05)
                }
            }
        } else {
            model.unet.unfreeze()
        }
        return model
    }

    /// What the policy update differentiates: the guided DDIM step's log-probability of
    /// a stored x_{t-1}, for two samples at different timesteps, plus the step's mean
    /// (the KL penalty's term), so the whole output is used.
    private func loss(_ sampler: TrajectorySampler) -> Tensor {
        let model = sampler.model
        let size = model.defaultImageSize / model.vaeScaleFactor
        let shape = [2, model.latentChannels, size, size]
        let step = sampler.step(
            latents: Tensor.randn(shape, generator: Generator(seed: 5)),
            timesteps: Tensor([Int64(801), 301]),
            promptEmbeddings: withNoGrad { model.encode(prompts: ["a red circle", "two blue squares"]) },
            negativeEmbedding: withNoGrad { model.encode(prompts: [""]) }, guidanceScale: 5, inferenceSteps: 6,
            eta: 1, previousSample: Tensor.randn(shape, generator: Generator(seed: 6)))
        return step.logProbability.sum() + 0.1 * step.mean.square().mean()
    }

    /// The loss, and the gradients of every trainable UNet weight through `backward()`
    /// and through `Torch.gradients` (as several workers compute them).
    private func lossAndGradients(_ sampler: TrajectorySampler, checkpointing: Bool) -> (
        loss: Tensor, backward: [Tensor?], autograd: [Tensor?]
    ) {
        let unet = sampler.model.unet
        unet.gradientCheckpointing = checkpointing
        defer { unet.gradientCheckpointing = false }
        let parameters = unet.trainableParameters().map(\.tensor)
        for parameter in parameters { parameter.zeroGrad() }
        let loss = self.loss(sampler)
        loss.backward()
        let backward = parameters.map(\.grad)
        for parameter in parameters { parameter.zeroGrad() }
        let autograd = Torch.gradients(of: [self.loss(sampler)], withRespectTo: parameters)
        return (loss.detached(), backward, autograd)
    }

    /// Bitwise equality of two tensors; a failure says by how much they differ.
    private func assertBitwiseEqual(
        _ first: Tensor?, _ second: Tensor?, _ name: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let first, let second else {
            XCTFail("\(name): missing (\(first == nil), \(second == nil))", file: file, line: line)
            return
        }
        guard first.bytes() != second.bytes() else { return }
        let difference = withNoGrad { (first - second).abs().max().item() }
        XCTFail("\(name): not bitwise equal, differs by up to \(difference)", file: file, line: line)
    }

    private func assertSameGradients(lora: Bool, autocast: DType? = nil) throws {
        let sampler = TrajectorySampler(model: try model(lora: lora), autocast: autocast)
        let names = sampler.model.unet.trainableParameters().map(\.name)
        XCTAssertFalse(names.isEmpty)
        let plain = lossAndGradients(sampler, checkpointing: false)
        let checkpointed = lossAndGradients(sampler, checkpointing: true)
        assertBitwiseEqual(plain.loss, checkpointed.loss, "loss")
        for (index, name) in names.enumerated() {
            assertBitwiseEqual(
                plain.backward[index], plain.autograd[index], "backward() against Torch.gradients: \(name)")
            assertBitwiseEqual(plain.backward[index], checkpointed.backward[index], "backward(): \(name)")
            assertBitwiseEqual(plain.autograd[index], checkpointed.autograd[index], "Torch.gradients: \(name)")
        }
    }

    func testLoRAGradientsAreBitwiseTheSame() throws {
        try assertSameGradients(lora: true)
    }

    /// The whole UNet, the time embedding's weights included: each checkpointed unit uses
    /// the time embedding once, so its gradient is summed in the same order.
    func testFullFineTuningGradientsAreBitwiseTheSame() throws {
        try assertSameGradients(lora: false)
    }

    /// Under bf16 autocast: the backward's re-run computes in bf16 as the forward did.
    func testGradientsUnderAutocastAreBitwiseTheSame() throws {
        try assertSameGradients(lora: true, autocast: .bfloat16)
    }

    /// The backward really recomputes the layers: with the adapters switched off between
    /// the forward and the backward, the re-run uses none of them, so they get no
    /// gradient, whereas without checkpointing the kept graph still has them.
    func testTheBackwardRecomputesTheLayers() throws {
        let sampler = TrajectorySampler(model: try model(lora: true))
        let unet = sampler.model.unet
        func adapterGradients(checkpointing: Bool) -> [Tensor?] {
            unet.gradientCheckpointing = checkpointing
            let adapters = unet.loraParameters().map(\.tensor)
            let loss = self.loss(sampler)
            for (_, layer) in unet.loraLayers() { layer.isAdapterEnabled = false }
            defer {
                for (_, layer) in unet.loraLayers() { layer.isAdapterEnabled = true }
                unet.gradientCheckpointing = false
            }
            return Torch.gradients(of: [loss], withRespectTo: adapters)
        }
        XCTAssertTrue(adapterGradients(checkpointing: false).allSatisfy { $0 != nil })
        XCTAssertTrue(adapterGradients(checkpointing: true).allSatisfy { $0 == nil })
    }

    func testSamplingIsUnaffected() throws {
        let model = try model(lora: true)
        let options = SamplingOptions(steps: 3, guidanceScale: 5, eta: 1)
        let plain = TrajectorySampler(model: model).sample(
            prompts: ["a red circle"], options: options, generator: Generator(seed: 8))
        model.unet.gradientCheckpointing = true
        let checkpointed = TrajectorySampler(model: model).sample(
            prompts: ["a red circle"], options: options, generator: Generator(seed: 8))
        XCTAssertEqual(plain.latents.bytes(), checkpointed.latents.bytes())
        XCTAssertEqual(plain.logProbabilities.bytes(), checkpointed.logProbabilities.bytes())
    }

    /// A whole policy update (two optimizer steps of DDPO-IS with the KL penalty, the
    /// reference being the shared UNet with its adapters off), at one worker and at two
    /// (`Torch.gradients`): the same statistics and bitwise the same adapters.
    func testPolicyUpdateEndsWithTheSameWeights() throws {
        for workers in [1, 2] {
            var results: [(PolicyUpdateStatistics, [[UInt8]])] = []
            for checkpointing in [false, true] {
                let model = try model(lora: true)
                let sampler = TrajectorySampler(model: model)
                let trajectory = sampler.sample(
                    prompts: ["a red circle", "a blue square", "a red circle", "two stars"],
                    options: SamplingOptions(steps: 4, guidanceScale: 5, eta: 1), generator: Generator(seed: 9))
                let samples = EpochSamples(
                    trajectories: [trajectory], rewards: [1, -1, 0.5, 2], advantages: [1, -1, 0.5, 2])
                let optimizer = AdamW(
                    parameters: model.unet.trainableParameters(),
                    configuration: .init(learningRate: 3e-3, weightDecay: 1e-4))
                let train = TrainingConfiguration.Train(
                    batchSize: 2, gradientAccumulationSteps: 2, clipRange: 1e-2, klWeight: 0.1,
                    gradientCheckpointing: checkpointing)
                let statistics = try PolicyUpdate(
                    sampler: sampler, optimizer: optimizer, train: train,
                    sampling: TrainingConfiguration.Sample(numSteps: 4), workers: workers,
                    klReference: .adaptersOff
                ).run(on: samples, generator: Generator(seed: 10))
                XCTAssertFalse(model.unet.gradientCheckpointing, "the update restores the UNet's setting")
                results.append((statistics, model.unet.trainableParameters().map { $0.tensor.bytes() }))
            }
            XCTAssertEqual(results[0].0, results[1].0, "statistics, \(workers) workers")
            XCTAssertEqual(results[0].1, results[1].1, "adapters, \(workers) workers")
            XCTAssertGreaterThan(results[0].0.gradientNorm, 0)
        }
    }
}
