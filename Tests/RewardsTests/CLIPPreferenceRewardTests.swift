import DiffusionModels
import Foundation
import ImageCodecs
import Rewards
import TestSupport
import Torch
import XCTest

/// `pickscore`, `clip_score` and `hpsv2` against scripts/golden/preference.py: a tiny
/// random transformers CLIPModel scored as PickScore's model card and CLIP score
/// compute it, and a tiny random OpenCLIP model (HPS v2's architecture) converted
/// by scripts/convert_hpsv2.py and scored as HPS v2 does, on three images and prompts.
final class CLIPPreferenceRewardTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/preference")
    static let clip = root.appendingPathComponent("clip")
    static let openCLIP = root.appendingPathComponent("openclip")

    private func reference(_ name: String) throws -> Tensor {
        try SafetensorsFile(url: Self.root.appendingPathComponent("reference.safetensors")).tensor(named: name)
    }

    private func input() throws -> RewardInput {
        let images = try AestheticFixtures.images()
        let prompts = try JSONDecoder().decode(
            [String].self, from: Data(contentsOf: Self.root.appendingPathComponent("prompts.json")))
        return RewardInput(images: images, prompts: prompts)
    }

    private func reward(_ name: String, _ options: [String: String]) throws -> CheckedReward {
        try RewardRegistry.standard.make(RewardConfiguration(name: name, options: options))
    }

    private func maxError(_ ours: [Double], _ reference: Tensor) -> Double {
        zip(ours, reference.to(dtype: .float64).toArray(Double.self)).map { abs($0 - $1) }.max() ?? .infinity
    }

    /// The model's embeddings of the reference's token ids and pixel values (`<prefix>.input_ids`,
    /// `<prefix>.pixel_values`) against the reference's (`textKey`, `imageKey`), to 1e-5.
    private func assertEmbeddingsMatch(
        _ model: CLIPModel, _ prefix: String, text textKey: String, image imageKey: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let ids = try reference("\(prefix).input_ids")
        let pixels = try reference("\(prefix).pixel_values")
        let text = withNoGrad { model.textEmbeddings(ids) }
        let image = withNoGrad { model.imageEmbeddings(pixels) }
        let textError = maxAbsDifference(text, try reference(textKey))
        let imageError = maxAbsDifference(image, try reference(imageKey))
        print("\(prefix) model: text embeddings max abs error \(textError), image \(imageError)")
        XCTAssertLessThan(textError, 1e-5, file: file, line: line)
        XCTAssertLessThan(imageError, 1e-5, file: file, line: line)
    }

    /// The CLIPModel's embeddings from transformers' own token ids and pixel values.
    func testCLIPModelEmbeddingsMatchTransformers() throws {
        let model = try CLIPModel.load(directory: Self.clip)
        XCTAssertEqual(model.logitScale, log(100), accuracy: 1e-5)
        try assertEmbeddingsMatch(model, "clip", text: "clip.text_embeds", image: "clip.image_embeds")
    }

    /// Our tokenizer and CLIPImageProcessor emulation give transformers' inputs.
    func testCLIPProcessorInputsMatch() throws {
        let input = try input()
        let tokenizer = try CLIPTokenizer(directory: Self.clip)
        XCTAssertEqual(
            tokenizer(input.prompts).toArray(Int.self), try reference("clip.input_ids").toArray(Int.self))
        let preprocessing = try CLIPImagePreprocessing.load(directory: Self.clip, defaultSize: 224)
        // One 8-bit level after normalisation is 1 / 255 / std ≈ 0.0146.
        XCTAssertLessThan(
            maxAbsDifference(preprocessing.pixelValues(input.images), try reference("clip.pixel_values")),
            1.0 / 255 / 0.26130258 + 1e-5)
    }

    /// End to end from images and prompts. Tolerance: PIL's resize is emulated within
    /// one 8-bit level, which moved these tiny models' cosines by up to 4e-6 (the
    /// PickScore, 100 times the cosine, by 4e-4); the bounds leave 10 times that.
    func testPickScoreAndCLIPScoreMatchTheReference() async throws {
        for (name, key, tolerance) in [("pickscore", "pickscore", 4e-3), ("clip_score", "clip_score", 4e-5)] {
            let scores = try await reward(name, ["model": Self.clip.path]).score(input()).rewards
            let error = maxError(scores, try reference(key))
            print(
                "\(name): scores \(scores), reference \(try reference(key).toArray(Double.self)), max abs error \(error)"
            )
            XCTAssertLessThan(error, tolerance, name)
        }
    }

    /// From transformers' own pixel values the scores agree to float precision.
    func testScoresFromReferenceInputsAreExact() throws {
        let model = try CLIPModel.load(directory: Self.clip)
        let text = withNoGrad { model.textEmbeddings(try! reference("clip.input_ids")) }
        let image = withNoGrad { model.imageEmbeddings(try! reference("clip.pixel_values")) }
        let cosine = withNoGrad {
            (text / text.norm(dims: [1], keepDim: true) * (image / image.norm(dims: [1], keepDim: true))).sum(dims: [1])
        }
        XCTAssertLessThan(maxAbsDifference(cosine, try reference("clip_score")), 1e-6)
        XCTAssertLessThan(maxAbsDifference(cosine * exp(model.logitScale), try reference("pickscore")), 1e-4)
    }

    /// scripts/convert_hpsv2.py's folder loads as a CLIPModel whose features are OpenCLIP's.
    func testConvertedOpenCLIPModelMatchesOpenCLIP() throws {
        let model = try CLIPModel.load(directory: Self.openCLIP)
        XCTAssertEqual(model.configuration.text.activation, .gelu)
        try assertEmbeddingsMatch(model, "hps", text: "hps.text_features", image: "hps.image_features")
    }

    /// HPS v2's longest-side float resize and black padding.
    func testOpenCLIPPreprocessingMatches() throws {
        let images = try AestheticFixtures.images()
        let preprocessing = OpenCLIPImagePreprocessing(size: 32)
        for (name, image) in zip(AestheticFixtures.names, images) {
            let expected = try reference("hps.resized.\(name)")  // [3, h, w] float, before padding
            let resized = preprocessing.resized(image)
            XCTAssertEqual(resized.shape, expected.shape, name)
            XCTAssertLessThan(maxAbsDifference(resized, expected), 1e-5, name)
        }
        let error = maxAbsDifference(preprocessing.pixelValues(images), try reference("hps.pixel_values"))
        print("hpsv2 preprocessing: pixel_values max abs difference \(error)")
        XCTAssertLessThan(error, 1e-5)
    }

    func testHPSv2MatchesTheReference() async throws {
        let scores = try await reward("hpsv2", ["model": Self.openCLIP.path]).score(input()).rewards
        let error = maxError(scores, try reference("hpsv2"))
        print(
            "hpsv2: scores \(scores), reference \(try reference("hpsv2").toArray(Double.self)), max abs error \(error)")
        XCTAssertLessThan(error, 1e-5)
    }
    /// Batches of one give the same scores as one batch; bfloat16 stays close.
    func testBatchingAndHalfPrecision() async throws {
        let input = try input()
        let whole = try await reward("clip_score", ["model": Self.clip.path]).score(input).rewards
        let ones = try await reward("clip_score", ["model": Self.clip.path, "batch_size": "1"]).score(input).rewards
        XCTAssertLessThan(zip(whole, ones).map { abs($0 - $1) }.max()!, 1e-6)
        let half = try await reward("clip_score", ["model": Self.clip.path, "dtype": "bfloat16"]).score(input).rewards
        XCTAssertLessThan(zip(whole, half).map { abs($0 - $1) }.max()!, 0.05)
    }

    func testBadOptionsNameTheOptionAndFile() throws {
        let missing = "/nonexistent/pickscore"
        XCTAssertThrowsError(try reward("pickscore", ["model": missing])) { error in
            XCTAssertTrue("\(error)".contains("model") && "\(error)".contains(missing), "\(error)")
        }
        XCTAssertThrowsError(try reward("pickscore", [:])) { error in
            XCTAssertTrue("\(error)".contains("model"), "\(error)")
        }
        XCTAssertThrowsError(try reward("clip_score", ["model": Self.clip.path, "batch_size": "0"])) { error in
            XCTAssertTrue("\(error)".contains("batch_size"), "\(error)")
        }
        XCTAssertThrowsError(try reward("clip_score", ["model": Self.clip.path, "dtype": "int8"])) { error in
            XCTAssertTrue("\(error)".contains("dtype"), "\(error)")
        }
        XCTAssertThrowsError(try reward("clip_score", ["model": Self.clip.path, "device": "tpu"])) { error in
            XCTAssertTrue("\(error)".contains("device"), "\(error)")
        }
        // A vision-only folder (the aesthetic fixture) is not a whole CLIPModel.
        XCTAssertThrowsError(try reward("clip_score", ["model": AestheticFixtures.clip.path])) { error in
            XCTAssertTrue("\(error)".contains(AestheticFixtures.clip.path), "\(error)")
        }
        // A processor folder without a tokenizer.
        XCTAssertThrowsError(
            try reward("hpsv2", ["model": Self.openCLIP.path, "processor": AestheticFixtures.clip.path])
        ) { error in
            XCTAssertTrue("\(error)".contains("processor") && "\(error)".contains("tokenizer"), "\(error)")
        }
    }
}
