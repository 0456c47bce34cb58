import Foundation
import ImageCodecs
import XCTest

@testable import RunLogging

final class TensorBoardWriterTests: XCTestCase {
    func testWrittenFileParsesBack() throws {
        let directory = try temporaryDirectory()
        let before = Date().timeIntervalSince1970
        let writer = try TensorBoardWriter(directory: directory)
        try writer.addScalar("reward/mean", 3.25, step: 10)
        try writer.addHistogram("advantages", values: [-1, 0, 0.5, 1], step: 11, bucketCount: 2)
        let image = RGBImage(width: 2, height: 1, pixels: [255, 0, 0, 0, 0, 255])
        try writer.addImage("samples", image, step: 12)
        try writer.record(["loss": 0.5, "kl": .nan], step: 13, epoch: 2)
        try writer.flush()

        let events = try TensorBoardTestReader.events(in: writer.fileURL)
        XCTAssertEqual(events.count, 6)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2")
        for event in events {
            XCTAssertGreaterThanOrEqual(event.wallTime, before.rounded(.down))
            XCTAssertLessThan(event.wallTime, before + 600)
        }

        XCTAssertEqual(events[1].tag, "reward/mean")
        XCTAssertEqual(events[1].step, 10)
        XCTAssertEqual(events[1].scalar, 3.25)

        let histogram = try XCTUnwrap(events[2].histogram)
        XCTAssertEqual(events[2].tag, "advantages")
        XCTAssertEqual(events[2].step, 11)
        XCTAssertEqual(
            [histogram.min, histogram.max, histogram.num, histogram.sum, histogram.sumSquares],
            [-1, 1, 4, 0.5, 2.25])
        XCTAssertEqual(histogram.bucketLimits, [0, 1])
        XCTAssertEqual(histogram.buckets, [1, 3])

        let decoded = try XCTUnwrap(events[3].image)
        XCTAssertEqual(events[3].tag, "samples")
        XCTAssertEqual([decoded.width, decoded.height, decoded.colorspace], [2, 1, 3])
        XCTAssertEqual(try RGBImage(pngData: decoded.encoded), image)

        // record(_:step:epoch:) writes one scalar per value, tags sorted; NaN stays NaN.
        XCTAssertEqual(events[4].tag, "kl")
        XCTAssertTrue(try XCTUnwrap(events[4].scalar).isNaN)
        XCTAssertEqual(events[5].tag, "loss")
        XCTAssertEqual(events[5].step, 13)
    }

    func testFileNameAndUniqueNamesInOneSecond() throws {
        let directory = try temporaryDirectory().appendingPathComponent("nested/run")
        let first = try TensorBoardWriter(directory: directory)
        let second = try TensorBoardWriter(directory: directory)
        let name = first.fileURL.lastPathComponent
        let parts = name.split(separator: ".", maxSplits: 4).map(String.init)
        XCTAssertEqual(Array(parts.prefix(3)), ["events", "out", "tfevents"], name)
        let seconds = try XCTUnwrap(Int(parts[3]), name)
        XCTAssertLessThanOrEqual(abs(seconds - Int(Date().timeIntervalSince1970)), 600)
        XCTAssertEqual(first.fileURL.deletingLastPathComponent().path, directory.path)
        XCTAssertNotEqual(first.fileURL, second.fileURL)
        XCTAssertEqual(try TensorBoardTestReader.events(in: second.fileURL).count, 1)
    }

    func testHistogramBuckets() {
        // Edges -2, -1, 0, 1, 2: a value on an inner edge goes right, max goes in the last bucket.
        let h = TensorBoardHistogram(values: [-2, -1, -0.5, 0, 1.5, 2, 2], bucketCount: 4)
        XCTAssertEqual(h.bucketLimits, [-1, 0, 1, 2])
        XCTAssertEqual(h.bucketCounts, [1, 2, 1, 3])
        XCTAssertEqual(h.count, 7)

        let constant = TensorBoardHistogram(values: [5, 5], bucketCount: 30)
        XCTAssertEqual(constant.bucketLimits, [5])
        XCTAssertEqual(constant.bucketCounts, [2])
        XCTAssertEqual([constant.min, constant.max, constant.sum, constant.sumOfSquares], [5, 5, 10, 50])

        let withNonFinite = TensorBoardHistogram(values: [.nan, 1, .infinity, 3, -.infinity], bucketCount: 2)
        XCTAssertEqual(withNonFinite.count, 2)
        XCTAssertEqual(withNonFinite.bucketCounts, [1, 1])
        XCTAssertEqual([withNonFinite.min, withNonFinite.max], [1, 3])

        XCTAssertEqual(
            TensorBoardHistogram(values: [.nan], bucketCount: 30), TensorBoardHistogram(values: [], bucketCount: 30))
        XCTAssertEqual(TensorBoardHistogram(values: [], bucketCount: 30).bucketCounts, [])

        // A range wider than the largest Double still gets finite edges.
        let huge = TensorBoardHistogram(values: [-.greatestFiniteMagnitude, .greatestFiniteMagnitude], bucketCount: 2)
        XCTAssertEqual(huge.bucketLimits, [0, .greatestFiniteMagnitude])
        XCTAssertEqual(huge.bucketCounts, [1, 1])

        // Many values: every one lands in some bucket.
        let many = (0..<1000).map { sin(Double($0)) * 7 }
        XCTAssertEqual(TensorBoardHistogram(values: many, bucketCount: 30).bucketCounts.reduce(0, +), 1000)
    }

    func testErrorsNameTheFile() throws {
        let directory = try temporaryDirectory()
        let blocker = directory.appendingPathComponent("not-a-folder")
        try Data([1]).write(to: blocker)
        XCTAssertThrowsError(try TensorBoardWriter(directory: blocker.appendingPathComponent("run"))) { error in
            XCTAssertTrue("\(error)".contains("not-a-folder"), "\(error)")
        }

        let writer = try TensorBoardWriter(directory: directory)
        try writer.close()
        XCTAssertThrowsError(try writer.addScalar("late", 1, step: 1)) { error in
            XCTAssertTrue("\(error)".contains(writer.fileURL.lastPathComponent), "\(error)")
        }
    }

    func testSinksReceiveTheSameRecord() throws {
        let directory = try temporaryDirectory()
        let tensorBoard = try TensorBoardWriter(directory: directory)
        let log = try MetricsLog(fileURL: directory.appendingPathComponent("metrics.jsonl"))
        let sinks = MetricsSinks([tensorBoard, log])
        try sinks.record(["reward_mean": 1.5], step: 4, epoch: 1)
        try sinks.flush()

        let events = try TensorBoardTestReader.events(in: tensorBoard.fileURL)
        XCTAssertEqual(events.last?.tag, "reward_mean")
        XCTAssertEqual(events.last?.scalar, 1.5)
        let records = try MetricsLog.read(log.fileURL)
        XCTAssertEqual(records.map(\.values), [["reward_mean": 1.5]])
        XCTAssertEqual(records.map(\.step), [4])

        // One failing sink does not keep the record from the others; its error is thrown.
        try tensorBoard.close()
        XCTAssertThrowsError(try sinks.record(["reward_mean": 2], step: 5, epoch: 1))
        XCTAssertEqual(try MetricsLog.read(log.fileURL).map(\.step), [4, 5])
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tb-writer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
