import Foundation
import XCTest

@testable import DDPO

/// Issue #20: training settings that crashed, hung or silently produced NaN are
/// refused by validation, naming the field and the allowed range.
final class ReliabilityValidationTests: XCTestCase {
    @discardableResult
    private func assertInvalid(
        _ field: String, _ text: String, line: UInt = #line, _ change: (inout TrainingConfiguration) -> Void
    ) -> ConfigurationError? {
        var c = validConfiguration()
        change(&c)
        let error = assertConfigurationError(
            field: field, { try c.validate(knownRewards: testRewardNames) }, line: line)
        XCTAssertTrue(
            error?.message.contains(text) ?? false, "'\(text)' missing from \(String(describing: error))", line: line)
        return error
    }

    func testTheSamplingBatchIsBounded() {
        assertInvalid("sample.batch_size", "at most 65536") { $0.sample.batchSize = 1_000_000 }
    }

    func testThreadsAndWorkersAreBounded() {
        assertInvalid("threads", "1...512") { $0.threads = 100_000 }
        assertInvalid("threads", "1...512") { $0.threads = 4096 }
        assertInvalid("threads", "1...512") { $0.threads = 0 }
        assertInvalid("workers", "1...512") { $0.workers = 4096 }
        assertInvalid("workers", "1...512") { $0.workers = 0 }
        var c = validConfiguration()
        c.threads = 512
        XCTAssertNoThrow(try c.validate(knownRewards: testRewardNames))
    }

    /// tiny-sd1's scheduler has num_train_timesteps 1000 and steps_offset 1: the last
    /// timestep of 1000 "leading" steps would be 1000, outside the schedule.
    func testStepsAreCheckedAgainstTheModelsScheduler() {
        assertInvalid("sample.num_steps", "at most 100000") { $0.sample.numSteps = 1_000_000 }
        let error = assertInvalid("sample.num_steps", "1...999") { $0.sample.numSteps = 1000 }
        XCTAssertTrue(error?.message.contains("scheduler_config.json") ?? false, "\(String(describing: error))")
        assertInvalid("sample.num_steps", "1...999") { $0.sample.numSteps = 100_000 }
        var c = validConfiguration()
        c.sample.numSteps = 999
        XCTAssertNoThrow(try c.validate(knownRewards: testRewardNames))
    }

    func testGuidanceEtaAndSizesAreBounded() {
        assertInvalid("sample.guidance_scale", "got nan") { $0.sample.guidanceScale = .nan }
        assertInvalid("sample.guidance_scale", "got inf") { $0.sample.guidanceScale = .infinity }
        assertInvalid("sample.guidance_scale", "1000") { $0.sample.guidanceScale = 1e6 }
        assertInvalid("sample.eta", "(0, 1]") { $0.sample.eta = 1.5 }
        assertInvalid("sample.eta", "got inf") { $0.sample.eta = .infinity }
        assertInvalid("sample.height", "8192") { $0.sample.height = 800_000 }
        assertInvalid("sample.width", "8192") { $0.sample.width = 16_384 }
    }

    /// A bad scheduler_config.json in the model folder is reported at validation,
    /// with its file and field, before anything is loaded.
    func testABadSchedulerFileIsReportedAtValidation() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-bad-scheduler-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let scheduler = root.appendingPathComponent("scheduler")
        try FileManager.default.createDirectory(at: scheduler, withIntermediateDirectories: true)
        try Data(#"{"beta_start": 1.5, "beta_end": 2.0}"#.utf8)
            .write(to: scheduler.appendingPathComponent("scheduler_config.json"))
        var c = validConfiguration()
        c.model = root.path
        XCTAssertThrowsError(try c.validate(knownRewards: testRewardNames)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("scheduler_config.json"), message)
            XCTAssertTrue(message.contains("beta_start"), message)
            XCTAssertTrue(message.contains("(0, 1)"), message)
        }
    }
}
