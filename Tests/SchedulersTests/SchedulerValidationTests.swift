import Foundation
import XCTest

@testable import Schedulers

/// Issue #20: scheduler settings and step counts that gave NaN or indexed outside
/// the schedule are errors naming the field and the allowed range.
final class SchedulerValidationTests: XCTestCase {
    private func decode(_ json: [String: Any]) throws -> SchedulerConfiguration {
        try JSONDecoder().decode(SchedulerConfiguration.self, from: JSONSerialization.data(withJSONObject: json))
    }

    private func assertRefused(_ json: [String: Any], field: String, _ text: String, line: UInt = #line) {
        XCTAssertThrowsError(try decode(json), line: line) { error in
            guard let error = error as? SchedulerConfigurationError else {
                return XCTFail("unexpected error \(error)", line: line)
            }
            XCTAssertEqual(error.field, field, "\(error)", line: line)
            XCTAssertTrue(error.description.contains(text), "\(error)", line: line)
        }
    }

    func testStableDiffusionsSettingsAreValid() throws {
        XCTAssertNoThrow(try SchedulerConfiguration.stableDiffusion.validate())
        XCTAssertNoThrow(try SchedulerConfiguration().validate())
        XCTAssertNoThrow(try decode(["beta_schedule": "squaredcos_cap_v2"]))
        XCTAssertNoThrow(try decode(["rescale_betas_zero_snr": true, "timestep_spacing": "trailing"]))
    }

    func testFieldsOutsideTheirRangesAreRefused() {
        assertRefused(["beta_start": 1.5, "beta_end": 2.0], field: "beta_start", "(0, 1)")
        assertRefused(["beta_start": -1], field: "beta_start", "got -1")
        assertRefused(["beta_end": 1.0], field: "beta_end", "(0, 1)")
        assertRefused(["beta_start": 0.1, "beta_end": 0.01], field: "beta_start", "must not exceed beta_end")
        assertRefused(["beta_start": 1e-12, "beta_end": 0.01], field: "beta_start", "float32")
        assertRefused(["num_train_timesteps": 0], field: "num_train_timesteps", "1...100000")
        assertRefused(["num_train_timesteps": 200_000], field: "num_train_timesteps", "1...100000")
        assertRefused(["steps_offset": 5000], field: "steps_offset", "0...999")
        assertRefused(["steps_offset": -1], field: "steps_offset", "0...999")
        assertRefused(["trained_betas": [0.1, 0.2]], field: "trained_betas", "2 values")
        assertRefused(
            ["num_train_timesteps": 2, "trained_betas": [0.1, 1.0]], field: "trained_betas", "(0, 1)")
        assertRefused(["beta_start": 0.5, "beta_end": 0.9], field: "beta_end", "alpha-bar")
        assertRefused(["clip_sample": true, "clip_sample_range": 0], field: "clip_sample_range", "> 0")
    }

    func testInferenceStepsStayInsideTheSchedule() throws {
        let sd = DDIMScheduler(configuration: .stableDiffusion)  // leading, steps_offset 1
        XCTAssertEqual(sd.maximumInferenceSteps, 999)
        XCTAssertEqual(try sd.checkedTimesteps(inferenceSteps: 999).first, 999)
        XCTAssertEqual(try sd.checkedTimesteps(inferenceSteps: 10), sd.timesteps(inferenceSteps: 10))
        for steps in [0, -3, 1000, 1001, Int.max] {
            XCTAssertThrowsError(try sd.checkedTimesteps(inferenceSteps: steps)) { error in
                let error = error as? SchedulerConfigurationError
                XCTAssertEqual(error?.field, "num_inference_steps")
                XCTAssertTrue(error?.message.contains("1...999") ?? false, "\(String(describing: error))")
            }
        }
        var config = SchedulerConfiguration.stableDiffusion
        config.stepsOffset = 0
        XCTAssertEqual(DDIMScheduler(configuration: config).maximumInferenceSteps, 1000)
        XCTAssertNoThrow(try DDIMScheduler(configuration: config).checkedTimesteps(inferenceSteps: 1000))
        for spacing in [SchedulerConfiguration.TimestepSpacing.trailing, .linspace] {
            config.timestepSpacing = spacing
            XCTAssertEqual(try DDIMScheduler(configuration: config).checkedTimesteps(inferenceSteps: 1000).count, 1000)
        }
        // A large offset: only some step counts keep every timestep below T.
        config = SchedulerConfiguration(numTrainTimesteps: 1000, stepsOffset: 500)
        XCTAssertThrowsError(try DDIMScheduler(configuration: config).checkedTimesteps(inferenceSteps: 2))
        XCTAssertNoThrow(try DDIMScheduler(configuration: config).checkedTimesteps(inferenceSteps: 1))
    }
}
