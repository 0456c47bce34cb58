import XCTest

@testable import DDPO

/// The reward names the Rewards registry is expected to hold; injected, as the
/// trainer does, so these tests do not depend on the registry.
let testRewardNames: Set<String> = [
    "jpeg_compressibility", "jpeg_incompressibility", "aesthetic_score", "aesthetic",
    "shapes_alignment", "remote", "diversity", "parity", "pickscore", "clip_score", "hpsv2", "human"
]

/// Asserts that `body` throws a `ConfigurationError` about `field`, and returns it.
@discardableResult
func assertConfigurationError(
    field: String, _ body: () throws -> Any,
    file: StaticString = #filePath, line: UInt = #line
) -> ConfigurationError? {
    do {
        let value = try body()
        XCTFail("expected an error about '\(field)', got \(value)", file: file, line: line)
    } catch let error as ConfigurationError {
        XCTAssertEqual(error.field, field, "\(error)", file: file, line: line)
        if !field.isEmpty {
            XCTAssertTrue(
                "\(error)".contains(field), "the message should name the field: \(error)", file: file, line: line)
        }
        return error
    } catch {
        XCTFail("expected a ConfigurationError about '\(field)', got \(error)", file: file, line: line)
    }
    return nil
}

/// A configuration that validates: the defaults plus a model path.
func validConfiguration() -> TrainingConfiguration {
    TrainingConfiguration(runName: "test", model: "Tests/Fixtures/tiny-sd1")
}
