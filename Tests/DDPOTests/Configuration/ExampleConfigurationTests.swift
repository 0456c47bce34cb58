import XCTest

@testable import DDPO

/// Every file in configs/ loads and validates, so the examples cannot rot.
final class ExampleConfigurationTests: XCTestCase {
    private let configs = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("configs")

    private func load(_ name: String) throws -> TrainingConfiguration {
        try TrainingConfiguration.load(yaml: configs.appendingPathComponent(name))
    }

    func testEveryExampleLoadsAndValidates() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: configs.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        XCTAssertTrue(
            Set(["compressibility.yaml", "incompressibility.yaml", "tiny-compressibility.yaml"])
                .isSubset(of: Set(files)), "\(files)")
        for file in files {
            // configs/shapes-alignment.yaml monitors with the distribution-level `diversity` reward.
            XCTAssertNoThrow(try load(file).validate(knownRewards: testRewardNames.union(["diversity"])), file)
        }
    }

    func testThePaperTasksAreTheReferenceSetUp() throws {
        let compressibility = try load("compressibility.yaml")
        XCTAssertEqual(compressibility.samplesPerEpoch, 256)
        XCTAssertEqual(compressibility.optimizerStepsPerInnerEpoch, 4)
        XCTAssertEqual(compressibility.train.batchSize * compressibility.train.gradientAccumulationSteps, 64)
        XCTAssertEqual(compressibility.prompt.name, "imagenet_animals")
        XCTAssertEqual(compressibility.reward.name, "jpeg_compressibility")
        XCTAssertEqual(compressibility.train.algorithm, .ddpoIS)

        var incompressibility = try load("incompressibility.yaml")
        XCTAssertEqual(incompressibility.reward.name, "jpeg_incompressibility")
        // Apart from the reward (and the fresh run name) the two runs are the same.
        incompressibility.reward = compressibility.reward
        incompressibility.runName = compressibility.runName
        XCTAssertEqual(incompressibility, compressibility)

        let aesthetic = try load("aesthetic.yaml")
        XCTAssertEqual(aesthetic.reward.name, "aesthetic")
        XCTAssertEqual(Set(aesthetic.reward.options.keys), ["clip", "mlp"])
        XCTAssertEqual(aesthetic.samplesPerEpoch, 256)
        XCTAssertEqual(aesthetic.optimizerStepsPerInnerEpoch, 2)
        XCTAssertEqual(aesthetic.prompt.name, "simple_animals")
    }

    func testTheTinyExampleUsesTheTestPipeline() throws {
        let tiny = try load("tiny-compressibility.yaml")
        XCTAssertEqual(tiny.samplesPerEpoch, 8)
        XCTAssertEqual(tiny.sample.numSteps, 10)
        XCTAssertEqual(tiny.optimizerStepsPerInnerEpoch, 2)
        let model = configs.deletingLastPathComponent().appendingPathComponent(tiny.model)
        XCTAssertTrue(FileManager.default.fileExists(atPath: model.appendingPathComponent("model_index.json").path))
        XCTAssertNoThrow(try PromptSampler(configuration: tiny, promptSets: Catalogue.tests().promptSets))
    }
}
