import Foundation
import Schedulers
import Torch
import XCTest

/// DDIM against diffusers' DDIMScheduler and a float64 log-probability reference,
/// both written by scripts/golden/sd_pipelines.py.
final class DDIMGoldenTests: XCTestCase {
    static func reference(_ pipeline: String) throws -> [String: Tensor] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(pipeline)/reference.safetensors")
        return try Safetensors.load(url)
    }

    private func tensor(_ values: [String: Tensor], _ key: String) throws -> Tensor {
        try XCTUnwrap(values[key], "missing fixture key \(key)")
    }

    private func maxAbs(_ a: Tensor, _ b: Tensor) -> Double {
        (a.to(dtype: .float64) - b.to(dtype: .float64)).abs().max().item()
    }

    func testAlphasCumprodEqualDiffusers() throws {
        let reference = try Self.reference("tiny-sd1")
        let ours = DDIMScheduler().schedule.alphasCumprod
        XCTAssertEqual(maxAbs(ours, try tensor(reference, "scheduler_alphas_cumprod")), 0)
    }

    func testLogProbabilitiesOfGivenSamplesMatchFloat64Reference() throws {
        let reference = try Self.reference("tiny-sd1")
        // Sample prediction re-derives eps by dividing by sqrt(1 - alpha-bar_1) ~ 0.04 at the
        // last step, which magnifies float32 rounding ~25x: its bound is looser.
        let cases: [(String, SchedulerConfiguration.PredictionType, Double, Double)] = [
            ("logprob", .epsilon, 1.0, 1e-5), ("logprob_eta05", .epsilon, 0.5, 1e-5),
            ("logprob_v", .vPrediction, 1.0, 1e-5), ("logprob_sample", .sample, 1.0, 1e-4)
        ]
        for (name, prediction, eta, tolerance) in cases {
            var configuration = SchedulerConfiguration.stableDiffusion
            configuration.predictionType = prediction
            let scheduler = DDIMScheduler(configuration: configuration)
            let step = scheduler.step(
                modelOutput: try tensor(reference, "\(name)_model_output"),
                timesteps: try tensor(reference, "\(name)_timesteps"), sample: try tensor(reference, "\(name)_x_t"),
                inferenceSteps: 10, eta: eta, previousSample: try tensor(reference, "\(name)_x_prev"))
            let logError = maxAbs(step.logProbability, try tensor(reference, "\(name)_out"))
            XCTAssertLessThan(logError, tolerance, "\(name): log-prob max abs error \(logError)")
            let mu = try tensor(reference, "\(name)_mu")
            let meanError = maxAbs(step.mean, mu) / max(mu.abs().max().item(), 1)
            XCTAssertLessThan(meanError, tolerance, "\(name): mean relative error \(meanError)")
            let stdError = maxAbs(step.standardDeviation.flattened(), try tensor(reference, "\(name)_std"))
            XCTAssertLessThan(stdError, 1e-6, "\(name): std error \(stdError)")
        }
    }

    /// Replays diffusers' 10-step trajectory: the same generator gives the same
    /// initial latents and per-step noise, and each DDIM update lands on diffusers' latents.
    func testTrajectoryReplayMatchesDiffusers() throws {
        for (pipeline, prediction) in [
            ("tiny-sd1", SchedulerConfiguration.PredictionType.epsilon),
            ("tiny-sd2", .vPrediction)
        ] {
            let reference = try Self.reference(pipeline)
            var configuration = SchedulerConfiguration.stableDiffusion
            configuration.predictionType = prediction
            let scheduler = DDIMScheduler(configuration: configuration)
            XCTAssertEqual(
                try tensor(reference, "traj_timesteps").toArray(Int.self),
                scheduler.timesteps(inferenceSteps: 10))
            let generator = Generator(seed: 1234)
            var latents = Tensor.randn([2, 4, 8, 8], generator: generator)
            XCTAssertEqual(maxAbs(latents, try tensor(reference, "traj_initial_latents")), 0, pipeline)
            let eps = try tensor(reference, "traj_eps")
            let expected = try tensor(reference, "traj_latents")
            let expectedLogProbs = try tensor(reference, "traj_log_probs")
            for (i, t) in scheduler.timesteps(inferenceSteps: 10).enumerated() {
                let step = scheduler.step(
                    modelOutput: eps[i], timesteps: Tensor([Int64(t), Int64(t)]), sample: latents,
                    inferenceSteps: 10, eta: 1.0, generator: generator)
                latents = step.previousSample
                let scale = max(expected[i + 1].abs().max().item(), 1)
                XCTAssertLessThan(maxAbs(latents, expected[i + 1]) / scale, 1e-6, "\(pipeline) step \(i)")
                XCTAssertLessThan(maxAbs(step.logProbability, expectedLogProbs[i]), 1e-5, "\(pipeline) log-prob \(i)")
            }
        }
    }
}
