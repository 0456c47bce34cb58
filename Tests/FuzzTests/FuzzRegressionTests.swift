import DDPO
import Foundation
import ShapesWorld
import XCTest

@testable import DiffusionModels
@testable import Rewards

/// The inputs on which a fuzz target found a crash, kept as tests once fixed.
final class FuzzRegressionTests: XCTestCase {
    /// reward-response, seed 0x5eedf022 iteration 276: a byte that is not UTF-8 where the JSON5 scanner
    /// expects a key trapped inside Foundation; now a malformed-response error.
    func testRewardResponseWithInvalidUTF8BeforeAKey() {
        let body = Data([0x7B, 0xFE] + Array(#"info": [{"score": 1}], "rewards": [1]}"#.utf8))
        XCTAssertThrowsError(try RemoteRewardResponse.parse(body, expectedCount: 1)) { error in
            XCTAssertEqual(error as? RemoteRewardFailure, .malformedResponse("the body is not UTF-8 text (40 bytes)"))
        }
    }
}

/// tokenizer, seed 0x5eedf022 iteration 222: `"model_max_length": -1` loaded, then trapped in
/// `Tensor(_:shape:)` when a prompt was padded to [B, -1]; now refused when the folder is read.
final class TokenizerFuzzRegressionTests: XCTestCase {
    func testModelMaxLengthBelowTwoIsRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-regression-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, bytes) in Corpus.tokenizer("tiny-sd1") where name != "tokenizer_config.json" {
            try Data(bytes).write(to: folder.appendingPathComponent(name))
        }
        for length in [-1, 0, 1] {
            try Data(#"{"model_max_length": \#(length)}"#.utf8).write(
                to: folder.appendingPathComponent("tokenizer_config.json"))
            XCTAssertThrowsError(try CLIPTokenizer(directory: folder)) { error in
                XCTAssertTrue("\(error)".contains("'model_max_length' must be at least 2"), "\(error)")
            }
        }
    }
}

/// yaml-config, seed 0x5eedf022 iteration 282: `num_batches_per_epoch: 9223372036854775807` trapped on
/// overflow in `samplesPerEpoch` during validation; now a ConfigurationError naming the field.
final class YAMLFuzzRegressionTests: XCTestCase {
    func testSamplesPerEpochOverflowIsRefused() throws {
        let yaml = "model: models/shapes-tiny\nsample:\n  batch_size: 8\n  num_batches_per_epoch: 9223372036854775807\n"
        let configuration = try TrainingConfiguration.decode(yaml: yaml)
        XCTAssertThrowsError(try configuration.validate(catalogue: Catalogue.withShapesWorld(model: ""))) { error in
            XCTAssertEqual((error as? ConfigurationError)?.field, "sample.num_batches_per_epoch", "\(error)")
        }
    }
}
