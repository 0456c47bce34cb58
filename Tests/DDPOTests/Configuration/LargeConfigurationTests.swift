import XCTest

@testable import DDPO

/// A configuration with a very long `fixed` prompt list is read and written back
/// whole. Yams' encoder alone is quadratic in a list's length (500,000 prompts took
/// minutes before `YAMLStringList`); at this size it would stall the suite for
/// minutes, so a regression shows here as a test that does not end.
final class LargeConfigurationTests: XCTestCase {
    func testAFixedListOfAHundredThousandPromptsRoundTrips() throws {
        let prompts = (0..<100_000).map { index -> String in
            // Strings YAML would otherwise read as other types must come back as strings.
            switch index % 5 {
            case 0: return "null"
            case 1: return "1.0"
            case 2: return "a: colon"
            case 3: return "two\nlines"
            default: return "a photo of animal \(index)"
            }
        }
        var configuration = TrainingConfiguration(runName: "large")
        configuration.prompt = TrainingConfiguration.Prompt(name: "fixed", prompts: prompts)
        let yaml = configuration.yamlString()
        let decoded = try TrainingConfiguration.decode(yaml: yaml)
        XCTAssertEqual(decoded.prompt.prompts?.count, prompts.count)
        XCTAssertEqual(decoded.prompt.prompts, prompts)
        XCTAssertEqual(decoded, configuration)
    }
}
