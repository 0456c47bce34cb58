import DiffusionModels
import Rewards
import Torch
import TorchNN
import XCTest

@testable import DDPO

final class OverOptimisationMonitorTests: XCTestCase {
    private func monitor(
        diversity: any Reward = MonitorTestRewards.BrightnessSpread(),
        fidelity: (any Reward)? = nil, workers: Int = 1
    ) throws -> OverOptimisationMonitor {
        Runtime.threadCount = 1
        let model = try StableDiffusion.load(directory: PolicyUpdateTests.tinySD1)
        try applyLoRA(to: model.unet, rank: 4, alpha: 4, generator: Generator(seed: 3))
        return OverOptimisationMonitor(
            sampler: TrajectorySampler(model: model), reward: MonitorTestRewards.Brightness(), diversity: diversity,
            fidelity: fidelity, prompts: ["a red circle", "a blue square", "two cats"], seed: 11,
            options: SamplingOptions(steps: 3, guidanceScale: 3, eta: 1), batchSize: 2, klReference: .adaptersOff,
            workers: workers)
    }

    func testKLToBaseIsZeroForFreshAdaptersAndPositiveOnceTheyMove() async throws {
        let monitor = try monitor()
        // LoRA's up-projection starts at zero: the policy is the base model exactly.
        let fresh = try await monitor.measure(epoch: 0)
        XCTAssertEqual(fresh.klToBase, 0)
        XCTAssertEqual(fresh.epoch, 0)
        withNoGrad {
            for (_, layer) in monitor.sampler.model.unet.loraLayers() {
                layer.loraB.weight.copy(
                    from: Tensor.randn(layer.loraB.weight.shape, generator: Generator(seed: 5)) * 0.05)
            }
        }
        let moved = try await monitor.measure(epoch: 4)
        XCTAssertGreaterThan(moved.klToBase, 0)
        XCTAssertTrue(moved.klToBase.isFinite)
        // Three steps: each third is one step, and their mean is the whole trajectory's.
        XCTAssertEqual(moved.klToBaseByThird.count, 3)
        XCTAssertEqual(moved.klToBaseByThird.reduce(0, +) / 3, moved.klToBase, accuracy: 1e-9 * moved.klToBase)
        XCTAssertEqual(fresh.klToBaseByThird, [0, 0, 0])
        XCTAssertEqual(moved.scalars["monitor/kl_to_base_late"], moved.klToBaseByThird[2])
        XCTAssertEqual(moved.epoch, 4)
    }

    func testTheSamePromptsAndNoiseGiveTheSameReading() async throws {
        let monitor = try monitor()
        let first = try await monitor.measure(epoch: 0)
        let again = try await monitor.measure(epoch: 0)
        XCTAssertEqual(first, again)
        // The reading's values are the stand-ins' over three images: brightness in [0, 1],
        // its spread at most 0.5, and `dark` = 1 − brightness on average too.
        XCTAssertTrue((0...1).contains(first.heldOutReward))
        XCTAssertTrue((0...0.5).contains(first.diversity))
        XCTAssertEqual(first.infoMeans["dark"]!, 1 - first.heldOutReward, accuracy: 1e-12)
        XCTAssertEqual(first.scalars[MonitorReading.heldOutRewardName], first.heldOutReward)
        XCTAssertEqual(first.scalars["monitor/heldout_dark"], first.infoMeans["dark"])
        XCTAssertEqual(
            Set(first.scalars.keys),
            [
                "monitor/heldout_reward", "monitor/diversity", "monitor/kl_to_base",
                "monitor/heldout_dark", "monitor/kl_to_base_early",
                "monitor/kl_to_base_middle", "monitor/kl_to_base_late"
            ])
    }

    /// The fidelity reward scores the same images as the training reward: here the
    /// same stand-in, so its mean and extras equal the held-out reward's, under their own names.
    func testAFidelityRewardIsScoredOnTheSameImagesUnderItsOwnNames() async throws {
        let plain = try await monitor().measure(epoch: 0)
        XCTAssertNil(plain.fidelity)
        XCTAssertNil(plain.scalars[MonitorReading.fidelityName])
        let reading = try await monitor(fidelity: MonitorTestRewards.Brightness()).measure(epoch: 0)
        XCTAssertEqual(reading.fidelity, reading.heldOutReward)
        XCTAssertEqual(reading.fidelityInfoMeans, reading.infoMeans)
        XCTAssertEqual(reading.scalars["monitor/fidelity"], reading.heldOutReward)
        XCTAssertEqual(reading.scalars["monitor/fidelity_dark"], reading.infoMeans["dark"])
        // The fidelity reward leaves everything else as it was.
        XCTAssertEqual(reading.heldOutReward, plain.heldOutReward)
        XCTAssertEqual(reading.klToBase, plain.klToBase)
    }

    func testAPerImageRewardAsDiversityIsAConfigurationError() async throws {
        let monitor = try monitor(diversity: MonitorTestRewards.Brightness())
        do {
            _ = try await monitor.measure(epoch: 0)
            XCTFail("expected an error")
        } catch let error as ConfigurationError {
            XCTAssertEqual(error.field, "monitor.diversity")
            XCTAssertTrue(error.message.contains("brightness"), error.message)
        }
    }

    func testThirdsSplitAsEvenlyAsTheStepsAllow() {
        XCTAssertEqual(OverOptimisationMonitor.thirds([1, 2, 3]), [1, 2, 3])
        // 20 steps: 6, 8 and 6.
        let values = (0..<20).map(Double.init)
        XCTAssertEqual(OverOptimisationMonitor.thirds(values), [2.5, 9.5, 16.5])
        XCTAssertEqual(OverOptimisationMonitor.thirds([1, 2]), [])
    }

    /// The steps re-scored for the KL on two threads (the reference with the shared
    /// UNet's adapters off) give the same reading as on one.
    func testTwoWorkersMeasureTheSameAsOne() async throws {
        var readings: [MonitorReading] = []
        for workers in [1, 2] {
            let monitor = try monitor(workers: workers)
            withNoGrad {
                for (_, layer) in monitor.sampler.model.unet.loraLayers() {
                    layer.loraB.weight.copy(
                        from: Tensor.randn(layer.loraB.weight.shape, generator: Generator(seed: 5)) * 0.05)
                }
            }
            readings.append(try await monitor.measure(epoch: 1))
        }
        XCTAssertGreaterThan(readings[0].klToBase, 0)
        XCTAssertEqual(readings[0], readings[1])
    }
}
