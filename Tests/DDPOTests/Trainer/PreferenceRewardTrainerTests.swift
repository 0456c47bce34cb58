import Foundation
import Logging
import Rewards
import XCTest

@testable import DDPO

/// The preference rewards from a configuration, on the tiny random SD1 model, with
/// the tiny random CLIPs of Tests/Fixtures/preference as reward models.
final class PreferenceRewardTrainerTests: TinyRunTestCase {
    static let preference = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/preference")
    static let clip = preference.appendingPathComponent("clip").path
    static let openCLIP = preference.appendingPathComponent("openclip").path

    /// Each sample's reward is the model's score of that image with its own prompt.
    func testPickScoreScoresEachSampleWithItsOwnPrompt() async throws {
        let yaml = tinyRunYAML(
            name: "pickscore", runs: runs,
            [
                "epochs": "1",
                "reward": #"{name: pickscore, options: {model: "\#(Self.clip)", batch_size: "3"}}"#
            ])
        let trainer = try Trainer(
            configuration: try TrainingConfiguration.decode(yaml: yaml), catalogue: .tests(), logger: logger)
        let report = try await trainer.runEpoch()
        XCTAssertEqual(report.rewards.count, 4)
        let images = report.images
        let prompts = try XCTUnwrap(report.imagePrompts)
        let rewards = try XCTUnwrap(report.imageRewards)
        XCTAssertFalse(images.isEmpty)
        let pickScore = try RewardRegistry.standard.make(
            RewardConfiguration(name: "pickscore", options: ["model": Self.clip]))
        let rescored = try await pickScore.score(RewardInput(images: images, prompts: prompts)).rewards
        for (ours, again) in zip(rewards, rescored) {
            XCTAssertEqual(ours, again, accuracy: 1e-4)
        }
        XCTAssertGreaterThan(Set(report.rewards.map { ($0 * 1e4).rounded() }).count, 1, "\(report.rewards)")
    }

    /// The recipe's shape: a multi-task run with a preference reward per task.
    func testAMultiTaskRunTrainsOnPickScoreHPSv2AndCLIPScore() async throws {
        let yaml = tinyRunYAML(
            name: "preference-tasks", runs: runs,
            [
                "epochs": "1", "eval_images": "2", "prompt": nil, "reward": nil,
                "tasks": """

                  - name: preference
                    prompt: {name: fixed, prompts: ["a red circle", "a blue square"]}
                    reward: {name: pickscore, options: {model: "\(Self.clip)"}}
                  - name: human
                    prompt: {name: fixed, prompts: ["a red circle", "a blue square"]}
                    reward: {name: hpsv2, options: {model: "\(Self.openCLIP)"}}
                  - name: alignment
                    prompt: {name: fixed, prompts: ["a red circle", "a blue square"]}
                    reward: {name: clip_score, options: {model: "\(Self.clip)", dtype: bfloat16}}
                """
            ])
        let trainer = try Trainer(
            configuration: try TrainingConfiguration.decode(yaml: yaml), catalogue: .tests(), logger: logger)
        let report = try await trainer.runEpoch()
        XCTAssertEqual(report.tasks.map(\.name), ["preference", "human", "alignment"])
        XCTAssertEqual(report.tasks.map(\.rewards.count), [4, 4, 4])
        XCTAssertEqual(report.update.optimizerSteps, 6)
        for task in report.tasks.dropFirst() {
            XCTAssertTrue(task.rewards.allSatisfy { abs($0) <= 1 }, "\(task.name), a cosine: \(task.rewards)")
        }
        XCTAssertNotNil(report.scalars["reward_mean/human"])
    }
}
