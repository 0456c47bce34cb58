import Foundation
import Rewards
import XCTest

final class RewardRegistryTests: XCTestCase {
    func testStandardNames() {
        XCTAssertEqual(
            RewardRegistry.standard.names,
            [
                "aesthetic", "clip_score", "diversity", "hpsv2", "human", "jpeg_compressibility",
                "jpeg_incompressibility",
                "pickscore", "remote"
            ])
    }

    func testLookupByName() throws {
        XCTAssertEqual(try RewardRegistry.standard.make("jpeg_compressibility").name, "jpeg_compressibility")
        XCTAssertEqual(try RewardRegistry.standard.make("jpeg_incompressibility").name, "jpeg_incompressibility")
        let remote = try RewardRegistry.standard.make(
            RewardConfiguration(name: "remote", options: ["url": "http://127.0.0.1:9/"]))
        XCTAssertEqual(remote.name, "remote")
        XCTAssertEqual(remote.nonFinite, .error)
    }

    func testUnknownNameListsTheKnownOnes() {
        XCTAssertThrowsError(try RewardRegistry.standard.make("aesthetic_typo")) { error in
            XCTAssertEqual(
                "\(error)",
                "unknown reward \"aesthetic_typo\"; known rewards: "
                    + "aesthetic, clip_score, diversity, hpsv2, human, jpeg_compressibility, jpeg_incompressibility, "
                    + "pickscore, remote")
        }
    }

    func testUnknownOptionIsAnError() {
        let configuration = RewardConfiguration(
            name: "remote", options: ["url": "http://127.0.0.1:9/", "timout_s": "3"])
        XCTAssertThrowsError(try RewardRegistry.standard.make(configuration)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("unknown option \"timout_s\""), message)
            XCTAssertTrue(message.contains("timeout_s"), message)
        }
        XCTAssertThrowsError(
            try RewardRegistry.standard.make(
                RewardConfiguration(
                    name: "jpeg_compressibility",
                    options: ["quality": "90"])))
    }

    func testBadOptionValuesNameTheOption() {
        func message(_ options: [String: String]) -> String {
            do {
                _ = try RewardRegistry.standard.make(RewardConfiguration(name: "remote", options: options))
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(message([:]), "reward remote: missing required option \"url\"")
        XCTAssertTrue(message(["url": "ftp://x/"]).contains("option url = \"ftp://x/\" is invalid"))
        XCTAssertTrue(message(["url": "http://127.0.0.1:9/", "timeout_s": "0"]).contains("option timeout_s"))
        XCTAssertTrue(message(["url": "http://127.0.0.1:9/", "retries": "two"]).contains("option retries"))
        XCTAssertTrue(message(["url": "http://127.0.0.1:9/", "format": "gif"]).contains("one of png, jpeg"))
        XCTAssertTrue(message(["url": "http://127.0.0.1:9/", "non_finite": "ignore"]).contains("one of error, drop"))
    }

    func testRemoteOptions() throws {
        let options = RewardOptions(
            reward: "remote",
            values: [
                "url": "http://127.0.0.1:8000/score", "format": "jpeg", "jpeg_quality": "90",
                "timeout_s": "2.5", "retries": "5", "retry_delay_s": "0.25"
            ])
        let settings = try RemoteRewardSettings(options: options)
        XCTAssertEqual(
            settings,
            RemoteRewardSettings(
                url: URL(string: "http://127.0.0.1:8000/score")!, format: .jpeg,
                jpegQuality: 90, timeout: 2.5, retries: 5, retryDelay: 0.25))
        XCTAssertEqual((1...4).map(settings.delay(beforeRetry:)), [0.25, 0.5, 1, 2])
        let defaults = try RemoteRewardSettings(options: RewardOptions(reward: "remote", values: ["url": "http://h/"]))
        XCTAssertEqual(defaults, RemoteRewardSettings(url: URL(string: "http://h/")!))
        XCTAssertEqual(
            [defaults.format.rawValue, "\(defaults.timeout)", "\(defaults.retries)", "\(defaults.retryDelay)"],
            ["png", "60.0", "3", "1.0"])
    }

    func testConfigurationFromAFile() throws {
        struct File: Codable, Equatable { var reward: RewardConfiguration }
        let bare = try JSONDecoder().decode(File.self, from: Data(#"{"reward": "jpeg_compressibility"}"#.utf8))
        XCTAssertEqual(bare.reward, RewardConfiguration(name: "jpeg_compressibility"))
        let json =
            #"{"reward": {"name": "remote", "url": "http://127.0.0.1:8000", "timeout_s": 30, "retry_delay_s": 0.5, "#
            + #""non_finite": "drop", "verbose": true}}"#
        let object = try JSONDecoder().decode(File.self, from: Data(json.utf8))
        XCTAssertEqual(
            object.reward,
            RewardConfiguration(
                name: "remote",
                options: [
                    "url": "http://127.0.0.1:8000", "timeout_s": "30", "retry_delay_s": "0.5", "non_finite": "drop",
                    "verbose": "true"
                ]))
        // Written back in the form it was read in.
        for file in [bare, object] {
            XCTAssertEqual(try JSONDecoder().decode(File.self, from: JSONEncoder().encode(file)), file)
        }
        XCTAssertEqual(
            String(decoding: try JSONEncoder().encode(bare), as: UTF8.self), #"{"reward":"jpeg_compressibility"}"#)
        XCTAssertThrowsError(try JSONDecoder().decode(File.self, from: Data(#"{"reward": {"url": "x"}}"#.utf8)))
        XCTAssertThrowsError(
            try JSONDecoder().decode(File.self, from: Data(#"{"reward": {"name": "remote", "url": [1]}}"#.utf8)))
    }

    func testCustomRewardIsRegisteredAndChecked() async throws {
        var registry = RewardRegistry()
        registry.register("fixed", options: ["value"]) { options in
            FixedReward(values: [try options.double("value", default: 0, in: -10...10)])
        }
        let reward = try registry.make(RewardConfiguration(name: "fixed", options: ["value": "2.5"]))
        let input = RewardInput(images: [Fixtures.image("noise_16")], prompts: ["p"])
        let rewards = try await reward.score(input).rewards
        XCTAssertEqual(rewards, [2.5])
        XCTAssertThrowsError(try registry.make("jpeg_compressibility")) {
            XCTAssertTrue("\($0)".contains("known rewards: fixed"))
        }
    }
}
