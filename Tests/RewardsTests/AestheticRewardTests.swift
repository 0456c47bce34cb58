import DiffusionModels
import Foundation
import ImageCodecs
import Rewards
import TestSupport
import Torch
import XCTest

/// The `aesthetic` reward against scripts/golden/aesthetic.py: PIL + CLIPImageProcessor
/// preprocessing, transformers' CLIPVisionModelWithProjection and the head in PyTorch.
final class AestheticRewardTests: XCTestCase {
    private func reward(_ test: XCTestCase) throws -> CheckedReward {
        try RewardRegistry.standard.make(
            RewardConfiguration(
                name: "aesthetic",
                options: [
                    "clip": AestheticFixtures.clip.path, "mlp": AestheticFixtures.predictorFile(test).path
                ]))
    }

    /// PIL's bicubic resize, emulated on libtorch, and the whole of CLIPImageProcessor.
    func testPreprocessingMatchesCLIPImageProcessor() throws {
        let images = try AestheticFixtures.images()
        let preprocessing = try CLIPImagePreprocessing.load(directory: AestheticFixtures.clip, defaultSize: 224)
        XCTAssertEqual(preprocessing, CLIPImagePreprocessing(size: 32))
        var worstLevel = 0.0
        for (name, image) in zip(AestheticFixtures.names, images) {
            let expected = try AestheticFixtures.reference("\(name).resized")
            let size = preprocessing.resizedSize(image)
            XCTAssertEqual([size.height, size.width, 3], expected.shape, name)
            let resized = CLIPImagePreprocessing.pilBicubicResize(image, to: size).permuted([1, 2, 0])
            let level = maxAbsDifference(resized, expected)
            let differing = (resized.to(dtype: .int32) - expected.to(dtype: .int32)).abs().sum().itemInt()
            print(
                "aesthetic preprocessing: \(name) \(image.width)x\(image.height) → \(size.width)x\(size.height): "
                    + "max level difference from PIL \(level), summed \(differing) over \(expected.shape.reduce(1, *)) values"
            )
            worstLevel = max(worstLevel, level)
        }
        XCTAssertLessThanOrEqual(worstLevel, 1, "PIL bicubic emulation")

        let pixelValues = preprocessing.pixelValues(images)
        let expected = try AestheticFixtures.reference("pixel_values")
        let pixelError = maxAbsDifference(pixelValues, expected)
        print("aesthetic preprocessing: pixel_values max abs difference from CLIPImageProcessor \(pixelError)")
        // One 8-bit level is 1 / 255 / std ≈ 0.0146 after normalisation; less means at most one level.
        XCTAssertLessThan(pixelError, 1.0 / 255 / 0.26130258 + 1e-5)
        XCTAssertEqual(pixelValues.dtype, .float32)
    }

    /// Fed transformers' own pixel values, the Swift tower and head give the Python scores.
    func testScoresFromReferencePixelValuesMatchPyTorch() throws {
        let vision = try CLIPVisionModelWithProjection.load(directory: AestheticFixtures.clip)
        let predictor = try AestheticFixtures.predictor()
        let pixelValues = try AestheticFixtures.reference("pixel_values")
        let scores = withNoGrad { predictor(vision(pixelValues)) }
        let error = maxAbsDifference(scores, try AestheticFixtures.reference("scores"))
        print("aesthetic: scores from reference pixel_values, max abs error \(error)")
        XCTAssertLessThan(error, 1e-4)
    }

    /// The whole reward, from PNG bytes to scores, against the Python pipeline.
    func testRewardMatchesPythonPipeline() async throws {
        let reward = try reward(self)
        XCTAssertEqual(reward.name, "aesthetic")
        XCTAssertTrue(reward.usesLibtorch)
        let images = try AestheticFixtures.images()
        let batch = try await reward.score(RewardInput(images: images, prompts: images.map { _ in "unused" }))
        let expected = try AestheticFixtures.reference("scores").to(dtype: .float64).toArray(Double.self)
        let errors = zip(batch.rewards, expected).map { abs($0 - $1) }
        print("aesthetic: end-to-end scores \(batch.rewards), Python \(expected), max abs error \(errors.max()!)")
        // The scores of the three images differ by > 0.1; the preprocessing differs from
        // PIL by at most one level in a few pixels, which moves this tiny model's scores
        // by well under 1e-3, and float32 rounding adds ~1e-6.
        for error in errors { XCTAssertLessThan(error, 1e-3) }
        let empty = try await reward.score(RewardInput(images: [], prompts: []))
        XCTAssertEqual(empty.rewards, [])
    }

    func testMissingAndBrokenFilesNameTheOptionAndFile() throws {
        func message(_ options: [String: String]) -> String {
            do {
                _ = try RewardRegistry.standard.make(RewardConfiguration(name: "aesthetic", options: options))
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let mlp = try AestheticFixtures.predictorFile(self).path
        XCTAssertEqual(message(["mlp": mlp]), "reward aesthetic: missing required option \"clip\"")
        XCTAssertEqual(
            message(["clip": AestheticFixtures.clip.path]), "reward aesthetic: missing required option \"mlp\"")

        let missingFolder = message(["clip": "/nonexistent/clip", "mlp": mlp])
        XCTAssertTrue(missingFolder.contains("option clip = \"/nonexistent/clip\""), missingFolder)
        XCTAssertTrue(missingFolder.contains("/nonexistent/clip/config.json"), missingFolder)

        let folder = try AestheticFixtures.temporaryDirectory(self)
        let corrupt = folder.appendingPathComponent("corrupt.safetensors")
        try Data("not safetensors".utf8).write(to: corrupt)
        let corruptMLP = message(["clip": AestheticFixtures.clip.path, "mlp": corrupt.path])
        XCTAssertTrue(corruptMLP.contains("option mlp = \"\(corrupt.path)\""), corruptMLP)
        XCTAssertTrue(corruptMLP.contains("convert_aesthetic_mlp.py"), corruptMLP)

        // A head of the wrong shape lists the mismatching tensors.
        let wrong = folder.appendingPathComponent("wrong.safetensors")
        try Safetensors.save(["layers.0.weight": Tensor.zeros([2, 2])], to: wrong)
        let wrongMLP = message(["clip": AestheticFixtures.clip.path, "mlp": wrong.path])
        XCTAssertTrue(wrongMLP.contains("layers.7.bias"), wrongMLP)

        // A CLIP folder without weights.
        let emptyClip = folder.appendingPathComponent("clip")
        try FileManager.default.createDirectory(at: emptyClip, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: AestheticFixtures.clip.appendingPathComponent("config.json"),
            to: emptyClip.appendingPathComponent("config.json"))
        let noWeights = message(["clip": emptyClip.path, "mlp": mlp])
        XCTAssertTrue(noWeights.contains("no model.safetensors"), noWeights)
    }

    func testPreprocessorConfigErrorsNameTheField() throws {
        let folder = try AestheticFixtures.temporaryDirectory(self)
        func message(_ json: String) -> String {
            let url = folder.appendingPathComponent("preprocessor_config.json")
            try? Data(json.utf8).write(to: url)
            do {
                _ = try CLIPImagePreprocessing.load(directory: folder, defaultSize: 224)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(message(#"{"resample": 2}"#).contains("field 'resample'"))
        XCTAssertTrue(message(#"{"do_center_crop": false}"#).contains("field 'do_center_crop'"))
        XCTAssertTrue(message(#"{"size": {"height": 5, "width": 5}}"#).contains("field 'size'"))
        XCTAssertTrue(message(#"{"size": 224, "crop_size": 300}"#).contains("field 'crop_size'"))
        XCTAssertTrue(message(#"{"image_mean": [0.5]}"#).contains("field 'image_mean'"))
        XCTAssertTrue(message("{").contains("preprocessor_config.json"))
        // Old files write sizes as plain numbers.
        let old = folder.appendingPathComponent("preprocessor_config.json")
        try Data(#"{"size": 224, "crop_size": 224, "resample": 3}"#.utf8).write(to: old)
        XCTAssertEqual(try CLIPImagePreprocessing.load(directory: folder, defaultSize: 32), CLIPImagePreprocessing())
        try FileManager.default.removeItem(at: old)
        XCTAssertEqual(
            try CLIPImagePreprocessing.load(directory: folder, defaultSize: 32), CLIPImagePreprocessing(size: 32))
    }
}
