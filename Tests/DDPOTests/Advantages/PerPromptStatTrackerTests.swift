import Foundation
import XCTest

@testable import DDPO

/// Worked example with bufferSize 4, minCount 3, three batches:
///
/// Batch 1: prompts [a, a, b], rewards [1, 3, 5].
///   batch mean 3; deviations -2, 0, 2; population variance 8/3; std √(8/3) = 1.6329931618554521.
///   push first: a = [1, 3] (2 < 3), b = [5] (1 < 3): both use the batch statistics.
///   A = [-2, 0, 2] / (√(8/3) + 1e-6).
/// Batch 2: prompts [a, b], rewards [5, 7]; batch mean 6, std 1.
///   a = [1, 3, 5]: 3 values, crosses minCount only BECAUSE the 5 is pushed first:
///     mean 3, std √(8/3): A = 2 / (√(8/3) + 1e-6).
///   b = [5, 7]: 2 < 3, batch statistics: A = (7 - 6) / (1 + 1e-6).
/// Batch 3: prompts [a, a, b], rewards [7, 9, 9].
///   a = [1, 3, 5, 7, 9] keeps its last 4: [3, 5, 7, 9]; mean 6; deviations -3, -1, 1, 3;
///     variance 20/4 = 5; std √5 = 2.23606797749979: A = [1, 3] / (√5 + 1e-6).
///   b = [5, 7, 9]: crosses minCount; mean 7, std √(8/3): A = 2 / (√(8/3) + 1e-6).
final class PerPromptStatTrackerTests: XCTestCase {
    let sqrtEightThirds = 1.6329931618554521
    let sqrtFive = 2.23606797749979
    let epsilon = 1e-6

    func makeTracker() -> PerPromptStatTracker {
        PerPromptStatTracker(bufferSize: 4, minCount: 3)
    }

    func testDefaultsAreTheReferenceImplementations() {
        let tracker = PerPromptStatTracker()
        XCTAssertEqual(tracker.bufferSize, 16)
        XCTAssertEqual(tracker.minCount, 16)
        XCTAssertEqual(PerPromptStatTracker.stdEpsilon, 1e-6)
    }

    func testWorkedExampleAcrossMinCount() throws {
        var tracker = makeTracker()

        let first = try tracker.update(prompts: ["a", "a", "b"], rewards: [1, 3, 5])
        assertEqual(first, [-2 / (sqrtEightThirds + epsilon), 0, 2 / (sqrtEightThirds + epsilon)])
        XCTAssertEqual(tracker.buffers, ["a": [1, 3], "b": [5]])

        let second = try tracker.update(prompts: ["a", "b"], rewards: [5, 7])
        assertEqual(second, [2 / (sqrtEightThirds + epsilon), 1 / (1 + epsilon)])
        XCTAssertEqual(tracker.buffers, ["a": [1, 3, 5], "b": [5, 7]])

        let third = try tracker.update(prompts: ["a", "a", "b"], rewards: [7, 9, 9])
        assertEqual(third, [1 / (sqrtFive + epsilon), 3 / (sqrtFive + epsilon), 2 / (sqrtEightThirds + epsilon)])
        XCTAssertEqual(tracker.buffers, ["a": [3, 5, 7, 9], "b": [5, 7, 9]])
    }

    func testStatsReportEachBuffer() throws {
        var tracker = makeTracker()
        _ = try tracker.update(prompts: ["a", "a", "b"], rewards: [1, 3, 5])
        _ = try tracker.update(prompts: ["a", "b"], rewards: [5, 7])
        _ = try tracker.update(prompts: ["a", "a", "b"], rewards: [7, 9, 9])
        let stats = tracker.stats()
        XCTAssertEqual(Set(stats.keys), ["a", "b"])
        // a = [3, 5, 7, 9]: mean 6, std √5; b = [5, 7, 9]: mean 7, std √(8/3).
        XCTAssertEqual(stats["a"]!.count, 4)
        XCTAssertEqual(stats["a"]!.mean, 6)
        XCTAssertEqual(stats["a"]!.std, sqrtFive, accuracy: 1e-14)
        XCTAssertEqual(stats["b"]!.count, 3)
        XCTAssertEqual(stats["b"]!.mean, 7)
        XCTAssertEqual(stats["b"]!.std, sqrtEightThirds, accuracy: 1e-14)
    }

    func testClearForgetsEveryPrompt() throws {
        var tracker = makeTracker()
        _ = try tracker.update(prompts: ["a", "a", "a"], rewards: [1, 2, 3])
        tracker.clear()
        XCTAssertTrue(tracker.stats().isEmpty)
        // With the buffer gone, a = [10] again uses the batch: [10, 20] has mean 15,
        // std 5, so A = [-5, 5] / (5 + 1e-6) (not the old buffer's statistics).
        let advantages = try tracker.update(prompts: ["a", "b"], rewards: [10, 20])
        assertEqual(advantages, [-5 / (5 + epsilon), 5 / (5 + epsilon)])
    }

    func testEqualRewardsGiveZeroAdvantage() throws {
        var tracker = makeTracker()
        // Batch std 0: A = 0 / (0 + 1e-6) = 0, no division by zero.
        XCTAssertEqual(try tracker.update(prompts: ["a", "b"], rewards: [2, 2]), [0, 0])
        XCTAssertEqual(try tracker.update(prompts: [], rewards: []), [])
    }

    func testStateRoundTripResumesExactly() throws {
        var original = makeTracker()
        _ = try original.update(prompts: ["a", "a", "b"], rewards: [1, 3, 5])
        _ = try original.update(prompts: ["a", "b"], rewards: [5, 7])

        // Prompts sorted, rewards oldest first, whatever order the dictionary has.
        let state = original.state
        XCTAssertEqual(
            state,
            PerPromptStatTracker.State(
                bufferSize: 4, minCount: 3,
                buffers: [
                    .init(prompt: "a", rewards: [1, 3, 5]),
                    .init(prompt: "b", rewards: [5, 7])
                ]))

        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let encoded = try encoder.encode(state)
        XCTAssertEqual(
            String(decoding: encoded, as: UTF8.self),
            #"{"bufferSize":4,"buffers":[{"prompt":"a","rewards":[1,3,5]},"#
                + #"{"prompt":"b","rewards":[5,7]}],"minCount":3}"#)
        var restored = try PerPromptStatTracker(
            state: JSONDecoder().decode(PerPromptStatTracker.State.self, from: encoded))
        XCTAssertEqual(restored.bufferSize, 4)
        XCTAssertEqual(restored.minCount, 3)
        XCTAssertEqual(try encoder.encode(restored.state), encoded)

        // The next batch gives bit-identical advantages and buffers.
        let prompts = ["a", "a", "b"]
        let rewards = [7.0, 9.0, 9.0]
        XCTAssertEqual(
            try restored.update(prompts: prompts, rewards: rewards),
            try original.update(prompts: prompts, rewards: rewards))
        XCTAssertEqual(restored.state, original.state)
    }

    func testStateRoundTripKeepsRewardsBitExact() throws {
        var original = PerPromptStatTracker(bufferSize: 16, minCount: 2)
        let awkward = [0.1, 1.0 / 3.0, -2.7182818284590455, 1e-300, 123456.789]
        _ = try original.update(prompts: Array(repeating: "p", count: awkward.count), rewards: awkward)
        let decoded = try JSONDecoder().decode(
            PerPromptStatTracker.State.self,
            from: JSONEncoder().encode(original.state))
        XCTAssertEqual(try PerPromptStatTracker(state: decoded).buffers["p"], awkward)
    }

    func testDictionaryExportAndRestore() throws {
        var original = makeTracker()
        _ = try original.update(prompts: ["x", "y", "x"], rewards: [1, 2, 3])
        XCTAssertEqual(original.buffers, ["x": [1, 3], "y": [2]])
        let restored = try PerPromptStatTracker(bufferSize: 4, minCount: 3, buffers: original.buffers)
        XCTAssertEqual(restored.state, original.state)
    }

    func testRestoreRejectsInvalidState() {
        // 5 rewards cannot come from a buffer of 4.
        XCTAssertThrowsError(try PerPromptStatTracker(bufferSize: 4, minCount: 3, buffers: ["a": [1, 2, 3, 4, 5]]))
        XCTAssertThrowsError(try PerPromptStatTracker(bufferSize: 4, minCount: 3, buffers: ["a": []]))
        XCTAssertThrowsError(try PerPromptStatTracker(bufferSize: 4, minCount: 3, buffers: ["a": [.nan]]))
        XCTAssertThrowsError(try PerPromptStatTracker(bufferSize: 4, minCount: 5, buffers: [:]))
        let duplicated = PerPromptStatTracker.State(
            bufferSize: 4, minCount: 3,
            buffers: [
                .init(prompt: "a", rewards: [1]), .init(prompt: "a", rewards: [2])
            ])
        XCTAssertThrowsError(try PerPromptStatTracker(state: duplicated)) { error in
            XCTAssertTrue("\(error)".contains("listed twice"), "\(error)")
        }
    }

    func testNonFiniteRewardIsRejectedAndNotBuffered() throws {
        var tracker = makeTracker()
        _ = try tracker.update(prompts: ["a"], rewards: [1])
        XCTAssertThrowsError(try tracker.update(prompts: ["a", "b"], rewards: [2, .infinity])) { error in
            XCTAssertEqual("\(error)", "reward inf of sample 1 (prompt \"b\") is not finite")
        }
        XCTAssertEqual(tracker.buffers, ["a": [1]])
    }

    private func assertEqual(
        _ actual: [Double], _ expected: [Double], file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(a, e, accuracy: 1e-12, file: file, line: line)
        }
    }
}
