import Foundation
import XCTest

@testable import RunLogging

final class RunStartLogTests: XCTestCase {
    private func start(_ seconds: Double, epoch: Int) -> RunStart {
        var start = RunStart(time: Date(timeIntervalSince1970: seconds))
        start.epoch = epoch
        start.version = SwiftDDPOVersion.current
        start.gitCommit = String(repeating: "ab", count: 20)
        start.gitDirty = true
        start.host = "box"
        start.cores = 2
        start.libtorch = "2.11.0"
        start.threads = 1
        start.workers = 2
        start.device = "cpu"
        start.dtype = "float32"
        start.worldSize = 1
        start.seed = 42
        start.rewards = [
            .init(role: "reward", name: "jpeg_compressibility", unit: "kB", axisLabel: "reward (−JPEG kB)")
        ]
        return start
    }

    func testStartsAreAppendedAndReadBack() throws {
        let directory = try temporaryDirectory()
        XCTAssertEqual(try RunStartLog.read(directory: directory), [], "no run.json yet: no starts")
        try RunStartLog.append(start(1_700_000_000, epoch: 0), directory: directory)
        try RunStartLog.append(start(1_700_000_600, epoch: 3), directory: directory)
        let starts = try RunStartLog.read(directory: directory)
        XCTAssertEqual(starts, [start(1_700_000_000, epoch: 0), start(1_700_000_600, epoch: 3)])

        let text = try String(contentsOf: directory.appendingPathComponent("run.json"), encoding: .utf8)
        for key in [
            "\"git_commit\"", "\"world_size\"", "\"axis_label\"", "\"2023-11-14T22:13:20.000Z\"", "\"seed\" : 42"
        ] {
            XCTAssertTrue(text.contains(key), "\(key) in \(text)")
        }
    }

    func testFieldsAFileLacksAreNilAndAnUnreadableFileIsSetAside() throws {
        let directory = try temporaryDirectory()
        let url = directory.appendingPathComponent("run.json")
        try #"{"starts": [{"time": "2026-12-07T10:00:00Z", "future_field": 1}]}"#.write(
            to: url, atomically: true, encoding: .utf8)
        let old = try XCTUnwrap(RunStartLog.read(directory: directory).first)
        XCTAssertNil(old.version)
        XCTAssertNil(old.rewards)

        try "{not json".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunStartLog.read(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("run.json"), "\(error)")
        }
        let problem = try RunStartLog.append(start(1_700_000_000, epoch: 0), directory: directory)
        XCTAssertTrue(problem?.contains("run.json.unreadable") == true, problem ?? "no problem reported")
        XCTAssertEqual(try RunStartLog.read(directory: directory).count, 1)
        XCTAssertEqual(
            try String(contentsOf: directory.appendingPathComponent("run.json.unreadable"), encoding: .utf8),
            "{not json")
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("run-starts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
