import Foundation
import Schedulers
import Torch
import XCTest

/// The flow-matching schedule and Euler step against diffusers' FlowMatchEulerDiscreteScheduler,
/// and Flow-GRPO's SDE step against float64 references from its formulas, all written by
/// scripts/golden/flow_match.py.
final class FlowMatchGoldenTests: XCTestCase {
    private struct ScheduleCase: Decodable {
        var name: String
        var config: FlowMatchSchedulerConfiguration
        var steps: Int
        var mu: Double?
        var imageSeqLen: Int?
        var sigmas: [Double]
        var timesteps: [Double]

        enum CodingKeys: String, CodingKey {
            case name, config, steps, mu, sigmas, timesteps
            case imageSeqLen = "image_seq_len"
        }
    }

    private struct ScheduleFixture: Decodable {
        var cases: [ScheduleCase]
    }

    private static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/flow-match")

    private func tensors() throws -> [String: Tensor] {
        try Safetensors.load(Self.folder.appendingPathComponent("steps.safetensors"))
    }

    private func tensor(_ values: [String: Tensor], _ key: String) throws -> Tensor {
        try XCTUnwrap(values[key], "missing fixture key \(key)")
    }

    private func maxAbs(_ a: Tensor, _ b: Tensor) -> Double {
        (a.to(dtype: .float64) - b.to(dtype: .float64)).abs().max().item()
    }

    private func maxRelative(_ a: Tensor, _ b: Tensor) -> Double {
        maxAbs(a, b) / max(b.abs().max().item(), 1e-12)
    }

    func testSchedulesEqualDiffusersBitForBit() throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent("schedules.json"))
        let fixture = try JSONDecoder().decode(ScheduleFixture.self, from: data)
        XCTAssertGreaterThanOrEqual(fixture.cases.count, 14)
        for golden in fixture.cases {
            let scheduler = FlowMatchEulerDiscreteScheduler(configuration: golden.config)
            var mu: Double? = nil
            if let length = golden.imageSeqLen {
                mu = scheduler.mu(imageSequenceLength: length)
                XCTAssertEqual(mu, golden.mu, "\(golden.name): mu")
            }
            let schedule = try scheduler.schedule(inferenceSteps: golden.steps, mu: mu)
            XCTAssertEqual(schedule.sigmas, golden.sigmas.map { Float($0) }, "\(golden.name): sigmas")
            XCTAssertEqual(schedule.timesteps, golden.timesteps.map { Float($0) }, "\(golden.name): timesteps")
            XCTAssertEqual(schedule.sigmas.last, 0, golden.name)
        }
        // The fixtures hold SD3's schedule with its first noise level exactly 1.
        let sd3 = try XCTUnwrap(fixture.cases.first { $0.name == "sd3_10" })
        XCTAssertEqual(sd3.config, .stableDiffusion3)
        XCTAssertEqual(sd3.sigmas.first, 1)
    }

    /// Replays diffusers' 4-step Euler trajectory: every latent lands exactly on diffusers'.
    func testEulerStepsEqualDiffusers() throws {
        let values = try tensors()
        let latents = try tensor(values, "euler.latents")
        let velocities = try tensor(values, "euler.velocities")
        let scheduler = FlowMatchEulerDiscreteScheduler()
        let schedule = try scheduler.schedule(inferenceSteps: 4)
        var x = latents[0]
        for i in 0..<4 {
            x = scheduler.step(velocity: velocities[i], sample: x, schedule: schedule, index: i)
            XCTAssertEqual(maxAbs(x, latents[i + 1]), 0, "step \(i)")
        }
    }

    func testEulerStepWithBFloat16VelocityEqualsDiffusers() throws {
        let values = try tensors()
        let scheduler = FlowMatchEulerDiscreteScheduler()
        let out = scheduler.step(
            velocity: try tensor(values, "euler_bf16.velocity"), sample: try tensor(values, "euler_bf16.sample"),
            schedule: try scheduler.schedule(inferenceSteps: 4), index: 1)
        XCTAssertEqual(out.dtype, .bfloat16)
        XCTAssertEqual(maxAbs(out, try tensor(values, "euler_bf16.out")), 0)
    }

    func testSDEStepMatchesFloat64Reference() throws {
        let values = try tensors()
        let velocity = try tensor(values, "sde.velocity")
        let sample = try tensor(values, "sde.sample")
        let sigma = try tensor(values, "sde.sigma")
        let sigmaNext = try tensor(values, "sde.sigma_next")
        let sigmaBelowOne = try tensor(values, "sde.sigma_below_one").item()
        XCTAssertEqual(sigma.toArray(Float.self).first, 1, "the first sample sits at sigma = 1")
        for (label, noiseLevel) in [("a07", 0.7), ("a10", 1.0)] {
            func reference(_ name: String) throws -> Tensor { try tensor(values, "sde.\(label).\(name)") }
            let step = FlowSDE.step(
                velocity: velocity, sample: sample, sigma: sigma, sigmaNext: sigmaNext, sigmaBelowOne: sigmaBelowOne,
                noiseLevel: noiseLevel, previousSample: try reference("previous_sample"))
            let noiseScaleError = maxRelative(step.noiseScale.flattened(), try reference("noise_scale"))
            XCTAssertLessThan(noiseScaleError, 1e-6, "\(label): noise scale relative error")
            let stdError = maxRelative(step.standardDeviation.flattened(), try reference("std"))
            XCTAssertLessThan(stdError, 1e-6, "\(label): std relative error")
            let meanError = maxAbs(step.mean, try reference("mean"))
            XCTAssertLessThan(meanError, 1e-5, "\(label): mean max abs error")
            let logError = maxAbs(step.logProbability, try reference("log_prob"))
            XCTAssertLessThan(logError, 1e-5, "\(label): log-prob max abs error \(logError)")

            let referenceStep = FlowSDE.step(
                velocity: try tensor(values, "sde.reference_velocity"), sample: sample, sigma: sigma,
                sigmaNext: sigmaNext, sigmaBelowOne: sigmaBelowOne, noiseLevel: noiseLevel,
                previousSample: try reference("previous_sample"))
            XCTAssertLessThan(maxAbs(referenceStep.mean, try reference("reference_mean")), 1e-5, label)
            for (scale, key) in [(step.noiseScale, "kl_noise_scale"), (step.standardDeviation, "kl_std")] {
                let kl = FlowSDE.klDivergence(
                    mean: step.mean, referenceMean: referenceStep.mean, standardDeviation: scale)
                XCTAssertEqual(kl.shape, [3])
                let error = maxRelative(kl, try reference(key))
                XCTAssertLessThan(error, 1e-4, "\(label): \(key) relative error \(error)")
            }
        }
    }

    /// The schedule-indexed step looks up the same noise levels, sigma_1 included.
    func testSDEStepAtScheduleIndicesEqualsTheExplicitOne() throws {
        let values = try tensors()
        let schedule = try FlowMatchEulerDiscreteScheduler().schedule(inferenceSteps: 10)
        XCTAssertEqual(Double(schedule.sigmas[1]), try tensor(values, "sde.sigma_below_one").item())
        let previous = try tensor(values, "sde.a07.previous_sample")
        let indexed = FlowSDE.step(
            velocity: try tensor(values, "sde.velocity"), sample: try tensor(values, "sde.sample"),
            schedule: schedule, steps: Tensor([Int64(0), 4, 9]), previousSample: previous)
        let explicit = FlowSDE.step(
            velocity: try tensor(values, "sde.velocity"), sample: try tensor(values, "sde.sample"),
            sigma: try tensor(values, "sde.sigma"), sigmaNext: try tensor(values, "sde.sigma_next"),
            sigmaBelowOne: Double(schedule.sigmas[1]), previousSample: previous)
        XCTAssertEqual(maxAbs(indexed.mean, explicit.mean), 0)
        XCTAssertEqual(maxAbs(indexed.standardDeviation, explicit.standardDeviation), 0)
        XCTAssertEqual(indexed.logProbability.toArray(Float.self), explicit.logProbability.toArray(Float.self))
    }
}
