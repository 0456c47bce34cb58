import Files
import Foundation
import XCTest

@testable import RunLogging

final class MetricsLogTests: XCTestCase {
    func testRoundTrip() throws {
        let url = try temporaryDirectory().appendingPathComponent("metrics.jsonl")
        let log = try MetricsLog(fileURL: url)
        let written = [
            MetricsRecord(step: 0, epoch: 0, time: 1_718_000_000.25, values: ["loss": 0.1, "reward_mean": 3]),
            MetricsRecord(
                step: 1, epoch: 0, time: 1_718_000_001.5,
                values: ["tiny": 1e-5, "huge": 1e20, "negative": -0.0, "third": 1.0 / 3]),
            MetricsRecord(step: 2, epoch: 1, time: 1_718_000_002, values: [:]),
            MetricsRecord(step: 3, epoch: 1, time: 1_718_000_003, values: ["name \"with\" \\ quotes\n": 2])
        ]
        for record in written {
            try log.record(record.values, step: record.step, epoch: record.epoch, time: record.time)
        }
        try log.flush()
        XCTAssertEqual(try MetricsLog.read(url), written)

        // Reopening appends (a resumed run).
        try log.close()
        let resumed = try MetricsLog(fileURL: url)
        try resumed.record(["loss": 0.05], step: 4, epoch: 2)
        let records = try MetricsLog.read(url)
        XCTAssertEqual(records.map(\.step), [0, 1, 2, 3, 4])
        XCTAssertEqual(records.last?.values, ["loss": 0.05])
        XCTAssertLessThan(abs(records.last!.time - Date().timeIntervalSince1970), 600)
    }

    func testLineFormat() {
        XCTAssertEqual(
            MetricsLog.line(["b": 2.5, "a": 1], step: 7, epoch: 1, time: 100.5),
            "{\"step\":7,\"epoch\":1,\"time\":100.5,\"a\":1.0,\"b\":2.5}\n")
        XCTAssertEqual(JSONText.quoted("tab\there\u{1}"), "\"tab\\there\\u0001\"")
    }

    func testNonFiniteValuesAreWrittenAsNullAndReadAsNaN() throws {
        let url = try temporaryDirectory().appendingPathComponent("metrics.jsonl")
        let log = try MetricsLog(fileURL: url)
        try log.record(["nan": .nan, "plus": .infinity, "minus": -.infinity, "fine": 1], step: 5, epoch: 0, time: 9)
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(
            text, "{\"step\":5,\"epoch\":0,\"time\":9.0,\"fine\":1.0,\"minus\":null,\"nan\":null,\"plus\":null}\n")
        // Strict JSON: Foundation's parser accepts the line.
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(text.utf8)))

        let record = try XCTUnwrap(MetricsLog.read(url).first)
        XCTAssertEqual(record.values["fine"], 1)
        for name in ["nan", "plus", "minus"] {
            XCTAssertTrue(try XCTUnwrap(record.values[name]).isNaN, name)
        }
    }

    func testTornLastLineIsSkippedAndRemovedOnReopen() throws {
        let url = try temporaryDirectory().appendingPathComponent("metrics.jsonl")
        let log = try MetricsLog(fileURL: url)
        try log.record(["loss": 1], step: 0, epoch: 0, time: 1)
        try log.close()
        // A crash in mid-write leaves a line without its end.
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
        handle.write(Data("{\"step\":1,\"epoch\":0,\"ti".utf8))
        handle.closeFile()

        XCTAssertEqual(try MetricsLog.read(url).map(\.step), [0])
        let resumed = try MetricsLog(fileURL: url)
        try resumed.record(["loss": 0.5], step: 1, epoch: 0, time: 2)
        XCTAssertEqual(try MetricsLog.read(url).map(\.step), [0, 1])
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8).split(separator: "\n").count, 2)
    }

    func testMalformedLineNamesFileAndLine() throws {
        let url = try temporaryDirectory().appendingPathComponent("metrics.jsonl")
        try Data("{\"step\":0,\"epoch\":0,\"time\":1}\nnot json\n{\"step\":2,\"epoch\":0,\"time\":1}\n".utf8).write(
            to: url)
        XCTAssertThrowsError(try MetricsLog.read(url)) { error in
            XCTAssertTrue("\(error)".contains("metrics.jsonl: line 2"), "\(error)")
        }
        XCTAssertThrowsError(try MetricsLog.read(url.appendingPathExtension("missing"))) { error in
            XCTAssertTrue("\(error)".contains("metrics.jsonl.missing"), "\(error)")
        }
    }

    func testOpenErrorNamesTheFile() throws {
        let url = try temporaryDirectory().appendingPathComponent("no-such-folder/metrics.jsonl")
        XCTAssertThrowsError(try MetricsLog(fileURL: url)) { error in
            XCTAssertTrue("\(error)".contains("no-such-folder/metrics.jsonl"), "\(error)")
        }
    }

    func testNaNValuesCompareEqualInRecords() {
        let a = MetricsRecord(step: 1, epoch: 0, time: 0, values: ["x": .nan])
        XCTAssertEqual(a, a)
        XCTAssertNotEqual(a, MetricsRecord(step: 1, epoch: 0, time: 0, values: ["x": 1]))
        XCTAssertNotEqual(a, MetricsRecord(step: 1, epoch: 0, time: 0, values: ["y": .nan]))
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
