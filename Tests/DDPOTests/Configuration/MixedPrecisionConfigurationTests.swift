import Torch
import XCTest

@testable import DDPO

final class MixedPrecisionConfigurationTests: XCTestCase {
    func testDefaultIsNoAutocast() throws {
        let c = try TrainingConfiguration.decode(yaml: "{}")
        XCTAssertEqual(c.mixedPrecision, .no)
        XCTAssertNil(c.mixedPrecision.autocastDType)
    }

    func testBothSpellingsOfNoAndBF16Decode() throws {
        // Unquoted `no` is a boolean in YAML 1.1; it must still read as the choice "no".
        XCTAssertEqual(try TrainingConfiguration.decode(yaml: "mixed_precision: no").mixedPrecision, .no)
        XCTAssertEqual(try TrainingConfiguration.decode(yaml: "mixed_precision: \"no\"").mixedPrecision, .no)
        let bf16 = try TrainingConfiguration.decode(yaml: "mixed_precision: bf16")
        XCTAssertEqual(bf16.mixedPrecision, .bf16)
        XCTAssertEqual(bf16.mixedPrecision.autocastDType, .bfloat16)
        XCTAssertEqual(
            try TrainingConfiguration.decode(yaml: "{}", overrides: ["mixed_precision=bf16"]).mixedPrecision,
            .bf16)
    }

    func testSavedYAMLReadsBack() throws {
        for choice in MixedPrecision.allCases {
            var c = TrainingConfiguration(runName: "r")
            c.mixedPrecision = choice
            XCTAssertEqual(
                try TrainingConfiguration.decode(yaml: c.yamlString()).mixedPrecision, choice, c.yamlString())
        }
    }

    func testUnknownChoiceListsTheValidOnes() {
        let error = assertConfigurationError(field: "mixed_precision") {
            try TrainingConfiguration.decode(yaml: "mixed_precision: fp16")
        }
        XCTAssertEqual(error?.message, "unknown value 'fp16' (valid: no, bf16)")
    }

    func testBF16NeedsFloat32Weights() throws {
        var c = validConfiguration()
        c.mixedPrecision = .bf16
        XCTAssertNoThrow(try c.validate(knownRewards: testRewardNames))
        c.dtype = "float16"
        let error = assertConfigurationError(field: "mixed_precision") { try c.validate(knownRewards: testRewardNames) }
        XCTAssertTrue(error?.message.contains("float32") ?? false)
    }
}
