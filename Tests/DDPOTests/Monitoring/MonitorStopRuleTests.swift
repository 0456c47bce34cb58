import XCTest

@testable import DDPO

final class MonitorStopRuleTests: XCTestCase {
    private func readings(_ values: [Double], every: Int = 1) -> [(epoch: Int, value: Double)] {
        values.enumerated().map { (epoch: $0.offset * every, value: $0.element) }
    }

    func testStopsAtTheKthFallInARow() {
        let rule = MonitorStopRule(falls: 2)
        // 1.0 → 0.9 (fall 1) → 0.8 (fall 2): stop at the third evaluation, epoch 10.
        XCTAssertEqual(rule.stopEpoch(readings([1.0, 0.9, 0.8], every: 5)), 10)
        // A rise ends the streak: 0.9 (1), 0.95 (0), 0.9 (1), 0.8 (2) → epoch 4.
        XCTAssertEqual(rule.stopEpoch(readings([1.0, 0.9, 0.95, 0.9, 0.8])), 4)
        XCTAssertEqual(MonitorStopRule(falls: 1).stopEpoch(readings([1.0, 1.5, 1.2])), 2)
        XCTAssertEqual(MonitorStopRule(falls: 3).stopEpoch(readings([4, 3, 2, 1])), 3)
    }

    func testEqualValuesRisesAndAnOffRuleNeverStop() {
        XCTAssertNil(MonitorStopRule(falls: 1).stopEpoch(readings([1, 1, 1, 1])))
        XCTAssertNil(MonitorStopRule(falls: 2).stopEpoch(readings([1, 0.5, 0.7, 0.6, 0.8])))
        XCTAssertNil(MonitorStopRule(falls: 0).stopEpoch(readings([3, 2, 1, 0])))
        XCTAssertFalse(MonitorStopRule(falls: 1).shouldStop(after: []))
        XCTAssertFalse(MonitorStopRule(falls: 1).shouldStop(after: [5]))
    }

    func testNonFiniteValuesAreSkipped() {
        // 1 → (NaN) → 0.9 is a fall from 1; then 0.8 is the second.
        XCTAssertEqual(MonitorStopRule(falls: 2).stopEpoch(readings([1, .nan, 0.9, 0.8])), 3)
        XCTAssertEqual(MonitorStopRule.fallsInARow([5, 4, 3, 6, 5]), 1)
        XCTAssertEqual(MonitorStopRule.fallsInARow([5, 4, .infinity, 3]), 2)
    }

    func testHistoryReplacesReMeasuredEpochsAndKeepsNaNOutOfJSON() throws {
        var history = MonitorHistory()
        history.record(MonitorReading(epoch: 0, heldOutReward: 1, diversity: 0, klToBase: 0))
        history.record(MonitorReading(epoch: 1, heldOutReward: 0.5, diversity: 0, klToBase: 0))
        history.record(MonitorReading(epoch: 2, heldOutReward: .nan, diversity: 0, klToBase: 0))
        // A resume from the epoch-1 checkpoint measures epoch 2 again.
        history.record(MonitorReading(epoch: 2, heldOutReward: 0.25, diversity: 0, klToBase: 0))
        XCTAssertEqual(history.heldOutRewards, [1, 0.5, 0.25])
        history.record(MonitorReading(epoch: 1, heldOutReward: .nan, diversity: 0, klToBase: 0))
        XCTAssertEqual(history.entries.map(\.epoch), [0, 1])
        XCTAssertNil(history.entries[1].heldOutReward)
        let decoded = try JSONDecoder().decode(MonitorHistory.self, from: JSONEncoder().encode(history))
        XCTAssertEqual(decoded, history)
    }

    func testOldCheckpointStatesWithoutMonitorsStillDecode() throws {
        // state.json as checkpoints were written before the monitors.
        let old =
            #"{"epoch":3,"globalStep":6,"statTracker":{"bufferSize":16,"buffers":[],"minCount":16},"#
            + #""trainable":"lora","version":1}"#
        let state = try JSONDecoder().decode(CheckpointState.self, from: Data(old.utf8))
        XCTAssertEqual(state.epoch, 3)
        XCTAssertNil(state.monitor)
    }
}
