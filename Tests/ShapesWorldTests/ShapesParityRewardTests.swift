import Foundation
import ImageCodecs
import Rewards
import Torch
import XCTest

@testable import ShapesWorld

final class ShapesParityRewardTests: XCTestCase {
    private func recogniser() -> ShapesRecogniser {
        ShapesRecogniser(
            configuration: .init(channels: [16, 16, 32, 32, 32], hidden: 32), generator: Generator(seed: 4))
    }

    func testEvennessOfKnownDistributions() {
        let oneHot = (0..<4).map { c in (0..<4).map { $0 == c ? 1.0 : 0.0 } }
        // One image of each of the four classes: the mean is uniform, H = ln 4, V = 1.
        XCTAssertEqual(ShapesParityReward.evenness(oneHot, [0, 1, 2, 3]), 1, accuracy: 1e-12)
        // Every image certainly the same class: H = 0.
        XCTAssertEqual(ShapesParityReward.evenness([oneHot[2], oneHot[2], oneHot[2]], [0, 1, 2]), 0, accuracy: 1e-12)
        // Soft: each image unsure between all four is as even as it gets too.
        XCTAssertEqual(ShapesParityReward.evenness([[0.25, 0.25, 0.25, 0.25]], [0]), 1, accuracy: 1e-12)
        // Two of four classes equally: H = ln 2, V = ln 2 / ln 4 = 1/2.
        XCTAssertEqual(ShapesParityReward.evenness(oneHot, [0, 1]), 0.5, accuracy: 1e-12)
        XCTAssertEqual(ShapesParityReward.evenness(oneHot, []), 0)
    }

    func testLeaveOneOutPaysTheRareClassMore() {
        // Classes [A, A, B], K = 2: V = H(2/3, 1/3) / ln 2 = 0.9182958340544896.
        // Without an A: {A, B}, V = 1, r = 3V − 2 = 0.7548875021634687;
        // without B: {A, A}, V = 0, r = 3V = 2.754887502163469.
        let scored = ShapesParityReward.batch(
            probabilities: [[1, 0], [1, 0], [0, 1]], classes: ["a", "b"],
            credit: .leaveOneOut)
        XCTAssertEqual(scored.batchValue!, 0.9182958340544896, accuracy: 1e-12)
        XCTAssertEqual(scored.rewards[0], 0.7548875021634687, accuracy: 1e-12)
        XCTAssertEqual(scored.rewards[1], 0.7548875021634687, accuracy: 1e-12)
        XCTAssertEqual(scored.rewards[2], 2.754887502163469, accuracy: 1e-12)
        XCTAssertEqual(scored.info[2], ["p_a": 0, "p_b": 1])
        let shared = ShapesParityReward.batch(
            probabilities: [[1, 0], [1, 0], [0, 1]], classes: ["a", "b"],
            credit: .shared)
        for r in shared.rewards { XCTAssertEqual(r, 0.9182958340544896, accuracy: 1e-12) }
    }

    func testScoresTheRecognisersProbabilitiesOfTheAttribute() async throws {
        let recogniser = recogniser()
        let reward = ShapesParityReward(recogniser: recogniser, attribute: .colour)
        XCTAssertTrue(reward.usesLibtorch)
        let batch = ShapesWorld.batch(seed: 3, first: 0, count: 4)
        let scored = try await reward.score(RewardInput(images: batch.images, prompts: batch.captions))
        let p = recogniser.probabilities(batch.images).colour
        XCTAssertEqual(scored.info[0].keys.sorted(), ShapeColor.allCases.map { "p_\($0.rawValue)" }.sorted())
        var mean = [Double](repeating: 0, count: ShapeColor.allCases.count)
        for i in 0..<4 {
            for (c, colour) in ShapeColor.allCases.enumerated() {
                let probability: Double = p[i][c].item()
                XCTAssertEqual(scored.info[i]["p_\(colour.rawValue)"]!, probability, accuracy: 1e-6)
                mean[c] += probability / 4
            }
        }
        let entropy = mean.map { -$0 * log($0) }.reduce(0, +)
        XCTAssertEqual(scored.batchValue!, entropy / log(6), accuracy: 1e-6)
        XCTAssertEqual(ShapesParityReward.Attribute.background.classes, ["white", "black", "gray", "light_blue"])
    }

    func testRegistryOptions() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parity-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try recogniser().save(to: folder)
        var registry = RewardRegistry.standard
        ShapesParityReward.register(in: &registry)
        XCTAssertThrowsError(try registry.make("parity")) { error in
            XCTAssertEqual("\(error)", "reward parity: missing required option \"recogniser\"")
        }
        XCTAssertThrowsError(
            try registry.make(
                RewardConfiguration(
                    name: "parity", options: ["recogniser": folder.path, "attribute": "size"]))
        ) { error in
            XCTAssertEqual(
                "\(error)",
                "reward parity: option attribute = \"size\" is invalid; "
                    + "expected one of shape, colour, count, background")
        }
        let reward = try registry.make(RewardConfiguration(name: "parity", options: ["recogniser": folder.path]))
        XCTAssertEqual((reward.base as? ShapesParityReward)?.attribute, .background)
        XCTAssertEqual((reward.base as? ShapesParityReward)?.credit, .leaveOneOut)

        var withDefault = RewardRegistry()
        ShapesParityReward.register(in: &withDefault, defaultRecogniser: folder.path)
        let shared = try withDefault.make(
            RewardConfiguration(
                name: "parity",
                options: [
                    "attribute": "count",
                    "credit": "shared"
                ]))
        XCTAssertEqual((shared.base as? ShapesParityReward)?.attribute, .count)
        XCTAssertEqual((shared.base as? ShapesParityReward)?.credit, .shared)
    }

    func testDiversityOnRecogniserFeatures() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("diversity-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let recogniser = recogniser()
        try recogniser.save(to: folder)
        let registry = RewardRegistry.standard(diversityFeatures: ["recogniser": RecogniserEmbedder.factory()])
        XCTAssertThrowsError(
            try registry.make(
                RewardConfiguration(
                    name: "diversity",
                    options: ["features": "recogniser"]))
        ) { error in
            XCTAssertEqual("\(error)", "reward diversity: missing required option \"model\"")
        }
        XCTAssertThrowsError(
            try registry.make(
                RewardConfiguration(
                    name: "diversity", options: ["features": "recogniser", "model": "/nonexistent"]))
        ) { error in
            XCTAssertTrue("\(error)".contains("option model = \"/nonexistent\""), "\(error)")
        }
        let reward = try registry.make(
            RewardConfiguration(
                name: "diversity",
                options: ["features": "recogniser", "model": folder.path]))
        XCTAssertTrue(reward.usesLibtorch)
        let batch = ShapesWorld.batch(seed: 1, first: 0, count: 3)
        let scored = try await reward.score(RewardInput(images: batch.images, prompts: batch.captions))
        // Independently: the hidden features, unit-normalised, cosine distances averaged over the 3 pairs.
        let features = recogniser.features(batch.images)
        let unit = features / features.norm(dims: [-1], keepDim: true)
        let cosines = unit.matmul(unit.transposed(0, 1))
        let pairs: [(Int, Int)] = [(0, 1), (0, 2), (1, 2)]
        let expected = pairs.map { 1 - (cosines[$0.0][$0.1].item() as Double) }.reduce(0, +) / 3
        XCTAssertEqual(scored.batchValue!, expected, accuracy: 1e-5)
    }
}
