import XCTest

@testable import DDPO

/// `train.kl_weight`, `train.pretrain_loss_weight`, `train.pretrain_data`, `train.pretrain_batch_size`.
final class RegularisationConfigurationTests: XCTestCase {
    func testBothTermsAreOffByDefault() throws {
        let train = TrainingConfiguration.Train()
        XCTAssertEqual(train.klWeight, 0)
        XCTAssertEqual(train.pretrainLossWeight, 0)
        XCTAssertEqual(train.pretrainData, "shapes_world")
        XCTAssertEqual(train.pretrainBatchSize, 8)
        let yaml = TrainingConfiguration(runName: "r").yamlString()
        for line in [
            "  kl_weight: 0.0", "  pretrain_loss_weight: 0.0", "  pretrain_data: shapes_world",
            "  pretrain_batch_size: 8"
        ] {
            XCTAssertTrue(yaml.contains(line + "\n"), "missing '\(line)' in\n\(yaml)")
        }
    }

    func testFieldsRoundTripThroughYAMLAndOverrides() throws {
        var original = validConfiguration()
        original.train.klWeight = 0.05
        original.train.pretrainLossWeight = 1.5
        original.train.pretrainBatchSize = 3
        let yaml = original.yamlString()
        XCTAssertEqual(try TrainingConfiguration.decode(yaml: yaml), original, yaml)

        let decoded = try TrainingConfiguration.decode(
            yaml: "train: {kl_weight: 1e-3, pretrain_data: shapes_world}",
            overrides: ["train.pretrain_loss_weight=2", "train.pretrain_batch_size=16"])
        XCTAssertEqual(decoded.train.klWeight, 1e-3)
        XCTAssertEqual(decoded.train.pretrainLossWeight, 2)
        XCTAssertEqual(decoded.train.pretrainData, "shapes_world")
        XCTAssertEqual(decoded.train.pretrainBatchSize, 16)
    }

    func testBadValuesAreErrorsNamingTheField() {
        // Checked against the catalogue when the loss is on (the standard one has no data).
        var laion = try! TrainingConfiguration.decode(yaml: "train: {pretrain_data: laion, pretrain_loss_weight: 1}")
        laion.model = "m"
        let data = assertConfigurationError(field: "train.pretrain_data") {
            try laion.validate(knownRewards: testRewardNames)
        }
        XCTAssertEqual(
            data?.message, "unknown pretraining data 'laion' (valid: shapes_compositional_world, shapes_world)")
        let none = assertConfigurationError(field: "train.pretrain_data") { try laion.validate(catalogue: .standard) }
        XCTAssertEqual(none?.message, "unknown pretraining data 'laion' (valid: none registered)")
        laion.train.pretrainLossWeight = 0
        XCTAssertNoThrow(try laion.validate(catalogue: .standard), "not checked while the loss is off")
        assertConfigurationError(field: "train.kl_weight") {
            try TrainingConfiguration.decode(yaml: "train: {kl_weight: off}")
        }

        func assertInvalid(_ field: String, line: UInt = #line, _ change: (inout TrainingConfiguration) -> Void) {
            var c = validConfiguration()
            change(&c)
            assertConfigurationError(field: field, { try c.validate(knownRewards: testRewardNames) }, line: line)
        }
        assertInvalid("train.kl_weight") { $0.train.klWeight = -0.1 }
        assertInvalid("train.kl_weight") { $0.train.klWeight = .infinity }
        assertInvalid("train.pretrain_loss_weight") { $0.train.pretrainLossWeight = -1 }
        assertInvalid("train.pretrain_loss_weight") { $0.train.pretrainLossWeight = .nan }
        assertInvalid("train.pretrain_batch_size") { $0.train.pretrainBatchSize = 0 }
    }
}
