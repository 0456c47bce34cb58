import XCTest

@testable import DDPO

/// The `monitor:` section.
final class MonitorConfigurationTests: XCTestCase {
    /// With the distribution-level reward the monitors default to.
    private let rewardNames = testRewardNames.union(["diversity"])

    func testMonitorsAreOffByDefaultAndEveryKeyIsWritten() throws {
        let monitor = TrainingConfiguration().monitor
        XCTAssertEqual(monitor.every, 0)
        XCTAssertFalse(monitor.isOn)
        XCTAssertNil(monitor.prompts)
        XCTAssertEqual(monitor.images, 16)
        XCTAssertEqual(monitor.diversity, TrainingConfiguration.Reward(name: "diversity"))
        XCTAssertEqual(monitor.stopAfterFalls, 0)
        XCTAssertNil(monitor.fidelity)
        let yaml = TrainingConfiguration(runName: "r").yamlString()
        for line in [
            "monitor:\n", "  every: 0\n", "  prompts: null\n", "  images: 16\n", "  diversity: diversity\n",
            "  fidelity: null\n", "  stop_after_falls: 0\n"
        ] {
            XCTAssertTrue(yaml.contains(line), "missing '\(line)' in\n\(yaml)")
        }
        // Off, the unknown default reward name is not checked.
        XCTAssertNoThrow(try validConfiguration().validate(knownRewards: testRewardNames.subtracting(["diversity"])))
    }

    func testFidelityNamesAKnownRewardAndRoundTrips() throws {
        let decoded = try TrainingConfiguration.decode(
            yaml: "monitor: {every: 2, fidelity: {name: remote, options: {url: \"http://127.0.0.1:9\"}}}")
        XCTAssertEqual(decoded.monitor.fidelity, .init(name: "remote", options: ["url": "http://127.0.0.1:9"]))
        XCTAssertEqual(try TrainingConfiguration.decode(yaml: decoded.yamlString()), decoded)
        let overridden = try TrainingConfiguration.decode(yaml: "", overrides: ["monitor.fidelity=remote"])
        XCTAssertEqual(overridden.monitor.fidelity, .init(name: "remote"))
        var configuration = validConfiguration()
        configuration.monitor = .init(every: 2, fidelity: .init(name: "shapes_alinment"))
        let error = assertConfigurationError(field: "monitor.fidelity") {
            try configuration.validate(knownRewards: rewardNames)
        }
        XCTAssertTrue(
            error?.message.contains("shapes_alignment") == true, "valid names listed: \(String(describing: error))")
    }

    func testSectionDecodesRoundTripsAndTakesOverrides() throws {
        let decoded = try TrainingConfiguration.decode(
            yaml: """
                monitor:
                  every: 5
                  prompts: shapes_held_out
                  images: 8
                  diversity: {name: remote, options: {url: "http://127.0.0.1:9"}}
                  stop_after_falls: 3
                """)
        XCTAssertEqual(
            decoded.monitor,
            TrainingConfiguration.Monitor(
                every: 5, prompts: .init(name: "shapes_held_out"), images: 8,
                diversity: .init(name: "remote", options: ["url": "http://127.0.0.1:9"]), stopAfterFalls: 3))
        XCTAssertEqual(try TrainingConfiguration.decode(yaml: decoded.yamlString()), decoded)

        let overridden = try TrainingConfiguration.decode(
            yaml: "",
            overrides: [
                "monitor.every=2", "monitor.prompts={name: fixed, prompts: [a cat]}",
                "monitor.stop_after_falls=1"
            ])
        XCTAssertEqual(overridden.monitor.every, 2)
        XCTAssertEqual(overridden.monitor.prompts, .init(name: "fixed", prompts: ["a cat"]))
        XCTAssertEqual(overridden.monitor.stopAfterFalls, 1)
        XCTAssertEqual(try TrainingConfiguration.decode(yaml: overridden.yamlString()), overridden)
        assertConfigurationError(field: "monitor.evry") {
            try TrainingConfiguration.decode(yaml: "", overrides: ["monitor.evry=2"])
        }
    }

    func testBadValuesAreErrorsNamingTheField() {
        let unknown = assertConfigurationError(field: "monitor.evry") {
            try TrainingConfiguration.decode(yaml: "monitor: {evry: 5}")
        }
        XCTAssertTrue(unknown?.message.contains("stop_after_falls") ?? false)
        assertConfigurationError(field: "monitor.images") {
            try TrainingConfiguration.decode(yaml: "monitor: {images: many}")
        }

        func assertInvalid(_ field: String, line: UInt = #line, _ change: (inout TrainingConfiguration) -> Void) {
            var c = validConfiguration()
            c.monitor.every = 1
            change(&c)
            assertConfigurationError(field: field, { try c.validate(knownRewards: rewardNames) }, line: line)
        }
        assertInvalid("monitor.every") { $0.monitor.every = -1 }
        assertInvalid("monitor.images") { $0.monitor.images = 0 }
        assertInvalid("monitor.stop_after_falls") { $0.monitor.stopAfterFalls = -2 }
        assertInvalid("monitor.stop_after_falls") {
            $0.monitor.every = 0
            $0.monitor.stopAfterFalls = 2
        }
        assertInvalid("monitor.diversity") { $0.monitor.diversity.name = "variety" }
        assertInvalid("monitor.prompts") { $0.monitor.prompts = .init(name: "held_out") }
        assertInvalid("monitor.prompts.file") { $0.monitor.prompts = .init(name: "file") }
    }
}
