import Foundation
import Schedulers
import XCTest

/// diffusers' FlowMatchEulerDiscreteScheduler settings: the SD3 and Flux files decode, and
/// every value this library cannot honour is an error naming the field.
final class FlowMatchConfigurationTests: XCTestCase {
    private func decode(_ json: [String: Any]) throws -> FlowMatchSchedulerConfiguration {
        try JSONDecoder().decode(
            FlowMatchSchedulerConfiguration.self, from: JSONSerialization.data(withJSONObject: json))
    }

    private func assertRefused(_ json: [String: Any], field: String, _ text: String, line: UInt = #line) {
        XCTAssertThrowsError(try decode(json), line: line) { error in
            assertError(error, field: field, text, line: line)
        }
    }

    private func assertError(_ error: Error, field: String, _ text: String, line: UInt = #line) {
        guard let error = error as? SchedulerConfigurationError else {
            return XCTFail("unexpected error \(error)", line: line)
        }
        XCTAssertEqual(error.field, field, "\(error)", line: line)
        XCTAssertTrue(error.description.contains(text), "\(error)", line: line)
    }

    func testStableDiffusion3AndFluxFilesDecode() throws {
        let sd3 = """
            {"_class_name": "FlowMatchEulerDiscreteScheduler", "_diffusers_version": "0.29.0.dev0",
             "num_train_timesteps": 1000, "shift": 3.0}
            """
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flow-scheduler-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(sd3.utf8).write(to: url)
        XCTAssertEqual(try FlowMatchSchedulerConfiguration.load(from: url), .stableDiffusion3)

        let flux = try decode([
            "_class_name": "FlowMatchEulerDiscreteScheduler", "base_image_seq_len": 256, "base_shift": 0.5,
            "max_image_seq_len": 4096, "max_shift": 1.15, "num_train_timesteps": 1000, "shift": 3.0,
            "use_dynamic_shifting": true, "shift_terminal": NSNull(), "use_karras_sigmas": false,
            "invert_sigmas": false
        ])
        XCTAssertTrue(flux.useDynamicShifting)
        XCTAssertEqual(flux.timeShiftType, .exponential)
        let scheduler = FlowMatchEulerDiscreteScheduler(configuration: flux)
        XCTAssertEqual(scheduler.mu(imageSequenceLength: 256), 0.5, accuracy: 1e-12)
        XCTAssertEqual(scheduler.mu(imageSequenceLength: 4096), 1.15, accuracy: 1e-12)

        // Written and read back, a configuration is the same.
        let encoded = try JSONEncoder().encode(flux)
        XCTAssertEqual(try JSONDecoder().decode(FlowMatchSchedulerConfiguration.self, from: encoded), flux)
    }

    func testFieldsOutsideTheirRangesAreRefused() {
        assertRefused(["_class_name": "DDIMScheduler"], field: "_class_name", "DDIMScheduler")
        assertRefused(["num_train_timesteps": 0], field: "num_train_timesteps", "2...100000")
        assertRefused(["num_train_timesteps": 1], field: "num_train_timesteps", "2...100000")
        assertRefused(["num_train_timesteps": 200_000], field: "num_train_timesteps", "got 200000")
        assertRefused(["shift": 0], field: "shift", "> 0")
        assertRefused(["shift": -3], field: "shift", "got -3")
        assertRefused(["shift": 1e9], field: "shift", "same float32 value")
        assertRefused(["time_shift_type": "quadratic"], field: "time_shift_type", "\"quadratic\"")
        assertRefused(
            ["use_dynamic_shifting": true, "max_image_seq_len": 256], field: "max_image_seq_len",
            "must exceed base_image_seq_len 256")
        assertRefused(
            ["use_dynamic_shifting": true, "base_image_seq_len": 0], field: "base_image_seq_len", "at least 1")
        var configuration = FlowMatchSchedulerConfiguration(shift: .infinity)
        XCTAssertThrowsError(try configuration.validate()) { self.assertError($0, field: "shift", "finite") }
        configuration = FlowMatchSchedulerConfiguration(useDynamicShifting: true, maxShift: .nan)
        XCTAssertThrowsError(try configuration.validate()) { self.assertError($0, field: "max_shift", "finite") }
    }

    func testOptionsThisLibraryDoesNotImplementAreRefused() {
        for key in [
            "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "invert_sigmas", "stochastic_sampling"
        ] {
            assertRefused([key: true], field: key, "not supported")
            XCTAssertNoThrow(try decode([key: false]), key)
        }
        assertRefused(["shift_terminal": 0.02], field: "shift_terminal", "not supported")
    }

    func testStepCountsAndMuAreChecked() throws {
        let sd3 = FlowMatchEulerDiscreteScheduler()
        XCTAssertEqual(try sd3.schedule(inferenceSteps: 1000).sigmas.count, 1001)
        for steps in [0, -1, 1001] {
            XCTAssertThrowsError(try sd3.schedule(inferenceSteps: steps)) { error in
                self.assertError(error, field: "num_inference_steps", "1...1000")
            }
        }
        let dynamic = FlowMatchEulerDiscreteScheduler(configuration: .init(useDynamicShifting: true))
        XCTAssertThrowsError(try dynamic.schedule(inferenceSteps: 10)) { error in
            self.assertError(error, field: "mu", "use_dynamic_shifting")
        }
        XCTAssertThrowsError(try dynamic.schedule(inferenceSteps: 10, mu: .nan)) { error in
            self.assertError(error, field: "mu", "finite")
        }
        // e^40 pushes every noise level to 1 in float32: steps of size 0.
        XCTAssertThrowsError(try dynamic.schedule(inferenceSteps: 10, mu: 40)) { error in
            self.assertError(error, field: "num_inference_steps", "mu 40")
        }
        let linear = FlowMatchEulerDiscreteScheduler(
            configuration: .init(useDynamicShifting: true, timeShiftType: .linear))
        XCTAssertThrowsError(try linear.schedule(inferenceSteps: 10, mu: -0.5)) { error in
            self.assertError(error, field: "mu", "> 0")
        }
        XCTAssertNoThrow(try linear.schedule(inferenceSteps: 10, mu: 0.5))
        // Without dynamic shifting mu is ignored, as in diffusers.
        XCTAssertEqual(try sd3.schedule(inferenceSteps: 10, mu: 2), try sd3.schedule(inferenceSteps: 10))
    }

    /// The schedule's shape, independent of diffusers: it falls strictly from 1 to 0, and
    /// a shift above 1 spends more steps at high noise than the unshifted schedule.
    func testScheduleFallsFromOneToZeroAndShiftKeepsItNoisier() throws {
        let shifted = try FlowMatchEulerDiscreteScheduler().schedule(inferenceSteps: 10)
        let plain = try FlowMatchEulerDiscreteScheduler(configuration: .init(shift: 1)).schedule(inferenceSteps: 10)
        for schedule in [shifted, plain] {
            XCTAssertEqual(schedule.sigmas.first, 1)
            XCTAssertEqual(schedule.sigmas.last, 0)
            XCTAssertEqual(schedule.sigmas.count, 11)
            XCTAssertTrue(zip(schedule.sigmas, schedule.sigmas.dropFirst()).allSatisfy { $0 > $1 })
            XCTAssertEqual(schedule.timesteps, schedule.sigmas.dropLast().map { $0 * 1000 })
        }
        for i in 1..<10 { XCTAssertGreaterThan(shifted.sigmas[i], plain.sigmas[i], "step \(i)") }
    }

    /// What the fuzz target found: shifts float32 rounds to 0 or infinity, and a mu whose
    /// exponential overflows, gave NaN noise levels instead of an error.
    func testShiftsOutsideFloat32AndAnOverflowingMuAreRefused() throws {
        for shift in [1e-320, 1e-50, 1e39] {
            assertRefused(["num_train_timesteps": 2, "shift": shift], field: "shift", "float32")
        }
        let dynamic = try decode([
            "use_dynamic_shifting": true, "base_shift": 0.5, "max_shift": 1e6, "base_image_seq_len": 256,
            "max_image_seq_len": 4096
        ])
        let scheduler = FlowMatchEulerDiscreteScheduler(configuration: dynamic)
        let mu = scheduler.mu(imageSequenceLength: 4096)
        XCTAssertThrowsError(try scheduler.schedule(inferenceSteps: 1, mu: mu)) { error in
            assertError(error, field: "mu", "exp(mu)")
        }
        XCTAssertThrowsError(try scheduler.schedule(inferenceSteps: 4, mu: -1e4)) { error in
            assertError(error, field: "mu", "exp(mu)")
        }
        let sigmas = try scheduler.schedule(inferenceSteps: 4, mu: 1.15).sigmas
        XCTAssertTrue(sigmas.allSatisfy(\.isFinite), "\(sigmas)")
    }
}
