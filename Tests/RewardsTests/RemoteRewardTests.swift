import Foundation
import ImageCodecs
import Rewards
import XCTest

/// The remote reward against scripts/reward_server.py, started per test on a free
/// loopback port and stopped in tearDown. Backoff delays are tiny to keep the tests fast.
final class RemoteRewardTests: XCTestCase {
    private var server: RewardServerProcess?

    override func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }

    private func start(_ mode: String, _ arguments: [String] = []) throws -> RewardServerProcess {
        let server = try RewardServerProcess(mode: mode, arguments: arguments)
        self.server = server
        return server
    }

    private func reward(_ url: URL, _ options: [String: String] = [:]) throws -> CheckedReward {
        let defaults = ["url": url.absoluteString, "timeout_s": "5", "retries": "2", "retry_delay_s": "0.01"]
        return try RewardRegistry.standard.make(
            RewardConfiguration(
                name: "remote", options: defaults.merging(options) { $1 }))
    }

    /// The error a score ends with, or nil (a test failure) when it succeeds.
    private func scoreError(_ reward: CheckedReward, _ input: RewardInput = Fixtures.input()) async -> Error? {
        do {
            _ = try await reward.score(input)
            XCTFail("scoring succeeded")
            return nil
        } catch {
            return error
        }
    }

    func testPNGSizeRewardsAndInfoAreExact() async throws {
        let server = try start("png_size")
        let metadata: [[String: String]] = [[:], ["count": "2"], ["a": "1", "b": "2"], [:]]
        let input = Fixtures.input(metadata: metadata)
        let batch = try await reward(server.url).score(input)
        let sizes = try input.images.map { try $0.pngData().count }
        XCTAssertEqual(batch.rewards, sizes.map { Double($0) / 1000 })
        XCTAssertEqual(
            batch.info,
            zip(zip(sizes, input.prompts), metadata).map { item in
                [
                    "bytes": Double(item.0.0), "prompt_chars": Double(item.0.1.count),
                    "metadata_keys": Double(item.1.count)
                ]
            })
        XCTAssertEqual(batch.dropped, [])
    }

    func testJPEGFormatSendsJPEGAtTheConfiguredQuality() async throws {
        let server = try start("png_size")  // scores the received file's size, whatever its format
        let input = Fixtures.input()
        let batch = try await reward(server.url, ["format": "jpeg", "jpeg_quality": "95"]).score(input)
        XCTAssertEqual(batch.rewards, Fixtures.names.map { Double(Fixtures.jpegSize($0)) / 1000 })
    }

    func testUserModuleIsScored() async throws {
        // The documented plug-in slot: a Python file defining score(images, prompts, metadata).
        let module = FileManager.default.temporaryDirectory.appendingPathComponent("reward-\(UUID().uuidString).py")
        try """
        def score(images, prompts, metadata):
            return [len(p) + 0.5 for p in prompts], [{"n": float(len(images))} for _ in images]
        """.write(to: module, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: module) }
        server = try RewardServerProcess(arguments: ["--module", module.path])
        let input = Fixtures.input()
        let batch = try await reward(try XCTUnwrap(server).url).score(input)
        XCTAssertEqual(batch.rewards, input.prompts.map { Double($0.count) + 0.5 })
        XCTAssertEqual(batch.info, Array(repeating: ["n": 4], count: 4))
    }

    func testServerJPEGModeMatchesTheSwiftReward() async throws {
        guard try RewardServerProcess.pythonCanImport("PIL") else {
            throw XCTSkip("Pillow is not installed for python3 (the server's jpeg modes need it)")
        }
        let server = try start("jpeg_compressibility")
        let input = Fixtures.input()
        let remote = try await reward(server.url).score(input)  // PNG in, PIL re-encodes as JPEG 95
        let local = try await JPEGSizeReward(.compressibility).score(input)
        XCTAssertEqual(remote.rewards, local.rewards)
    }

    func testServerKilledMidRunFailsAfterRetriesNamingTheURL() async throws {
        let server = try start("slow", ["--delay", "30"])
        let reward = try reward(server.url, ["retries": "2", "retry_delay_s": "0.01"])
        let scoring = Task { await scoreError(reward) }
        try await Task.sleep(nanoseconds: 300_000_000)  // the request is now in flight
        server.stop()
        let error = await scoring.value
        let remote = try XCTUnwrap(error as? RemoteRewardError, "\(String(describing: error))")
        XCTAssertEqual(remote.attempts, 3)
        XCTAssertEqual(remote.url, server.url)
        guard case .connection(let reason) = remote.lastFailure else { return XCTFail("\(remote)") }
        XCTAssertTrue(reason.contains("connection refused"), reason)
        let message = "\(remote)"
        XCTAssertTrue(
            message.hasPrefix("remote reward at \(server.url.absoluteString): failed after 3 attempts"), message)
    }

    func testNoServerIsConnectionRefused() async throws {
        let server = try start("constant")
        server.stop()  // the port is now closed
        let error = await scoreError(try reward(server.url, ["retries": "1"]))
        let remote = try XCTUnwrap(error as? RemoteRewardError, "\(String(describing: error))")
        XCTAssertEqual(remote.attempts, 2)
        XCTAssertTrue("\(remote)".contains("connection refused"), "\(remote)")
    }

    func testGarbageIsAMalformedResponse() async throws {
        let server = try start("garbage")
        let error = await scoreError(try reward(server.url, ["retries": "1"]))
        let remote = try XCTUnwrap(error as? RemoteRewardError, "\(String(describing: error))")
        guard case .malformedResponse(let reason) = remote.lastFailure else { return XCTFail("\(remote)") }
        XCTAssertTrue(reason.contains("this is not JSON"), reason)
        XCTAssertEqual(remote.attempts, 2)
    }

    func testSlowServerTimesOut() async throws {
        let server = try start("slow", ["--delay", "30"])
        let reward = try reward(server.url, ["timeout_s": "0.3", "retries": "0"])
        let started = Date()
        let error = await scoreError(reward)
        let elapsed = Date().timeIntervalSince(started)
        let remote = try XCTUnwrap(error as? RemoteRewardError, "\(String(describing: error))")
        XCTAssertEqual(remote.lastFailure, .timeout(0.3))
        XCTAssertEqual(remote.attempts, 1)
        // The configured 0.3 s, not rounded to whole seconds.
        XCTAssertGreaterThanOrEqual(elapsed, 0.29)
        XCTAssertLessThan(elapsed, 5)
        XCTAssertTrue("\(remote)".contains("timeout"), "\(remote)")
    }

    func testCancellingTheTaskStopsAtOnce() async throws {
        // A trainer shutting down must not wait for a slow server or its retries.
        let server = try start("slow", ["--delay", "30"])
        let reward = try reward(server.url, ["timeout_s": "20"])
        let started = Date()
        let scoring = Task { try await reward.score(Fixtures.input()) }
        try await Task.sleep(nanoseconds: 200_000_000)
        scoring.cancel()
        do {
            _ = try await scoring.value
            XCTFail("scoring succeeded")
        } catch {
            XCTAssertTrue(error is CancellationError, "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testWrongNumberOfRewards() async throws {
        let server = try start("wrong_count")
        let error = await scoreError(try reward(server.url, ["retries": "0"]))
        let remote = try XCTUnwrap(error as? RemoteRewardError, "\(String(describing: error))")
        XCTAssertEqual(remote.lastFailure, .wrongCount(field: "rewards", expected: 4, got: 3))
    }

    func testNaNIsAnErrorNamingTheSampleAndPrompt() async throws {
        let server = try start("nan")
        let error = await scoreError(try reward(server.url))
        guard case RewardError.nonFiniteReward(let name, let index, let prompt, let value)? = error else {
            return XCTFail("\(String(describing: error))")
        }
        XCTAssertEqual(name, "remote")
        XCTAssertEqual(index, 1)
        XCTAssertEqual(prompt, "a picture of noise_odd")
        XCTAssertTrue(value.isNaN)
    }

    func testNaNDropModeReturnsTheDroppedIndex() async throws {
        let server = try start("nan")
        let batch = try await reward(server.url, ["non_finite": "drop"]).score(Fixtures.input())
        XCTAssertEqual(batch.dropped, [1])
        XCTAssertEqual(batch.droppedCount, 1)
        XCTAssertEqual(batch.keptRewards, [0, 0, 0])
    }

    func testClientErrorsAreNotRetried() {
        XCTAssertFalse(RemoteRewardFailure.httpStatus(400, body: "").isRetryable)
        XCTAssertTrue(RemoteRewardFailure.httpStatus(429, body: "").isRetryable)
        XCTAssertTrue(RemoteRewardFailure.httpStatus(503, body: "").isRetryable)
        XCTAssertTrue(RemoteRewardFailure.malformedResponse("x").isRetryable)
    }

    /// A server announcing a 2 GiB body is refused on its headers, without retrying.
    func testADeclaredHugeBodyIsRefusedBeforeItIsRead() async throws {
        let server = try start("oversized")
        let error = await scoreError(try reward(server.url))
        let remote = try XCTUnwrap(error as? RemoteRewardError, "\(String(describing: error))")
        XCTAssertEqual(remote.attempts, 1)
        let limit = (1 << 20) + Fixtures.input().count * (64 << 10)
        XCTAssertEqual(remote.lastFailure, .responseTooLarge(limit: limit, declared: 1 << 31))
        XCTAssertTrue("\(remote)".contains("option max_response_bytes"), "\(remote)")
    }

    /// A body without a length that never ends is cut off at the limit as it arrives.
    func testAnEndlessBodyStopsAtTheConfiguredLimit() async throws {
        let server = try start("endless")
        let error = await scoreError(try reward(server.url, ["max_response_bytes": "100000"]))
        let remote = try XCTUnwrap(error as? RemoteRewardError, "\(String(describing: error))")
        XCTAssertEqual(remote.lastFailure, .responseTooLarge(limit: 100_000, declared: nil))
        XCTAssertThrowsError(try reward(server.url, ["max_response_bytes": "10"])) { error in
            XCTAssertTrue("\(error)".contains("max_response_bytes"), "\(error)")
        }
    }

    /// A redirected POST would be re-sent without its body: not followed, and the
    /// error says where the server pointed.
    func testARedirectIsNotFollowed() async throws {
        let server = try start("redirect")
        let error = await scoreError(try reward(server.url))
        let remote = try XCTUnwrap(error as? RemoteRewardError, "\(String(describing: error))")
        XCTAssertEqual(remote.attempts, 1)
        guard case .redirect(let status, let location) = remote.lastFailure else { return XCTFail("\(remote)") }
        XCTAssertEqual(status, 307)
        XCTAssertTrue(location.hasSuffix("/elsewhere"), location)
    }
}
