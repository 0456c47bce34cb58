import Foundation
import ImageCodecs
import Rewards
import Torch
import XCTest

@testable import ShapesWorld

final class ShapesAlignmentRewardTests: XCTestCase {
    /// A small untrained recogniser: the reward's arithmetic does not depend on training.
    private func recogniser() -> ShapesRecogniser {
        ShapesRecogniser(
            configuration: .init(channels: [16, 16, 32, 32, 32], hidden: 32), generator: Generator(seed: 4))
    }

    func testRewardIsTheProductOfTheCaptionsProbabilities() async throws {
        let recogniser = recogniser()
        let reward = ShapesAlignmentReward(recogniser: recogniser)
        XCTAssertTrue(reward.usesLibtorch)
        let batch = ShapesWorld.batch(seed: 2, first: 0, count: 3)
        let input = RewardInput(images: batch.images, prompts: batch.captions)
        let scored = try await reward.score(input)
        XCTAssertEqual(scored.rewards.count, 3)
        let p = recogniser.probabilities(batch.images)
        let (shape, colour, count, background) = ShapesRecogniser.labels(batch.scenes.map(\.description))
        for i in 0..<3 {
            let info = scored.info[i]
            XCTAssertEqual(info["p_shape"]!, p.shape[i][shape[i].itemInt()].item(), accuracy: 1e-6)
            XCTAssertEqual(info["p_colour"]!, p.colour[i][colour[i].itemInt()].item(), accuracy: 1e-6)
            XCTAssertEqual(info["p_count"]!, p.count[i][count[i].itemInt()].item(), accuracy: 1e-6)
            XCTAssertEqual(info["p_background"]!, p.background[i][background[i].itemInt()].item(), accuracy: 1e-6)
            let product = info["p_shape"]! * info["p_colour"]! * info["p_count"]! * info["p_background"]!
            XCTAssertEqual(scored.rewards[i], product, accuracy: 1e-12)
            XCTAssertTrue((0...1).contains(scored.rewards[i]))
            let matches = ["shape", "colour", "count", "background"].map { info["match_\($0)"]! }
            XCTAssertEqual(info["match_all"], matches.allSatisfy { $0 == 1 } ? 1 : 0)
            XCTAssertEqual(info["match_shape"], p.shape[i].argmax().itemInt() == shape[i].itemInt() ? 1 : 0)
        }
    }

    func testAForeignPromptIsAnErrorNamingIt() async {
        let reward = ShapesAlignmentReward(recogniser: recogniser())
        let image = ShapesWorld.scene(seed: 0, index: 0).render()
        let input = RewardInput(
            images: [image, image],
            prompts: [
                ShapesWorld.scene(seed: 0, index: 0).caption,
                "a photo of a cat"
            ])
        do {
            _ = try await reward.score(input)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(
                error as? ShapesWorldError,
                .notAWorldCaption(reward: "shapes_alignment", index: 1, prompt: "a photo of a cat"))
            XCTAssertTrue("\(error)".contains("\"a photo of a cat\""), "\(error)")
        }
    }

    func testImagesOfAnotherSizeAreResized() async throws {
        let reward = ShapesAlignmentReward(recogniser: recogniser())
        let scene = ShapesWorld.scene(seed: 0, index: 1)
        let scored = try await reward.score(RewardInput(images: [scene.render(size: 128)], prompts: [scene.caption]))
        XCTAssertEqual(scored.rewards.count, 1)
        XCTAssertTrue(scored.rewards[0].isFinite)
    }

    func testRegistryLoadsTheRecogniserFromItsOption() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shapes-reward-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let recogniser = recogniser()
        try recogniser.save(to: folder)
        var registry = RewardRegistry.standard
        ShapesAlignmentReward.register(in: &registry)
        XCTAssertTrue(registry.names.contains("shapes_alignment"))
        XCTAssertThrowsError(try registry.make("shapes_alignment")) { error in
            XCTAssertTrue("\(error)".contains("recogniser"), "\(error)")
        }
        XCTAssertThrowsError(
            try registry.make(
                RewardConfiguration(
                    name: "shapes_alignment",
                    options: ["recogniser": "/nonexistent"])))
        let reward = try registry.make(
            RewardConfiguration(name: "shapes_alignment", options: ["recogniser": folder.path]))
        XCTAssertTrue(reward.usesLibtorch)
        let scene = ShapesWorld.scene(seed: 0, index: 2)
        let fromRegistry = try await reward.score(RewardInput(images: [scene.render()], prompts: [scene.caption]))
        let direct = try await ShapesAlignmentReward(recogniser: recogniser)
            .score(RewardInput(images: [scene.render()], prompts: [scene.caption]))
        XCTAssertEqual(fromRegistry.rewards, direct.rewards)
    }

    func testCombineMeanPaysTheMeanOfThePartsAndABadValueIsNamed() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shapes-reward-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try recogniser().save(to: folder)
        var registry = RewardRegistry.standard
        ShapesAlignmentReward.register(in: &registry)
        let mean = try registry.make(
            RewardConfiguration(name: "shapes_alignment", options: ["recogniser": folder.path, "combine": "mean"]))
        let product = try registry.make(
            RewardConfiguration(name: "shapes_alignment", options: ["recogniser": folder.path, "combine": "product"]))
        let scenes = (0..<4).map { ShapesWorld.scene(seed: 3, index: $0) }
        let input = RewardInput(images: scenes.map { $0.render() }, prompts: scenes.map(\.caption))
        let meanScores = try await mean.score(input)
        let productScores = try await product.score(input)
        for i in 0..<4 {
            let parts = ["shape", "colour", "count", "background"].map { meanScores.info[i]["p_\($0)"]! }
            XCTAssertEqual(meanScores.rewards[i], parts.reduce(0, +) / 4, accuracy: 1e-12)
            XCTAssertEqual(productScores.rewards[i], parts.reduce(1, *), accuracy: 1e-12)
            XCTAssertEqual(meanScores.info[i], productScores.info[i])
        }
        XCTAssertThrowsError(
            try registry.make(
                RewardConfiguration(name: "shapes_alignment", options: ["recogniser": folder.path, "combine": "sum"]))
        ) { error in
            XCTAssertTrue("\(error)".contains("combine"), "\(error)")
            XCTAssertTrue("\(error)".contains("product, mean"), "\(error)")
        }
    }
}
