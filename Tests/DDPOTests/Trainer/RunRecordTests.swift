import Foundation
import RunLogging
import Torch
import XCTest

@testable import DDPO
@testable import Reports

/// What a run records about itself at each start (run.json) and what it gives
/// TensorBoard besides the epoch scalars: the configuration as text, the
/// hyper-parameters, the evaluations' scalars and the captioned samples.
final class RunRecordTests: TinyRunTestCase {
    /// (tag, step, scalar value) of each summary event, every event file of `directory` in name order.
    private func summaries(in directory: URL) throws -> [(tag: String, step: Int, value: Float?)] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("events.out.tfevents.") }.sorted()
        XCTAssertEqual(files.count, 2, "one event file per start")
        return try files.flatMap {
            try EventFileScan.summaries(Array(Data(contentsOf: directory.appendingPathComponent($0))))
        }
    }

    func testEachStartIsRecordedAndTensorBoardGetsTheRunsTextHParamsEvaluationsAndCaptions() async throws {
        let yaml = tinyRunYAML(name: "recorded", runs: runs)
        let first = try Trainer(
            configuration: try TrainingConfiguration.decode(yaml: yaml, overrides: ["epochs=1"]), catalogue: .tests(),
            logger: logger)
        try await first.run()
        var resumed = try TrainingConfiguration.decode(yaml: yaml, overrides: ["epochs=2"])
        resumed.resume = first.runDirectory.path
        try await Trainer(configuration: resumed, catalogue: .tests(), logger: logger).run()
        let directory = first.runDirectory

        let starts = try RunStartLog.read(directory: directory)
        XCTAssertEqual(starts.map(\.epoch), [0, 1], "the first start and the resume")
        let start = starts[0]
        XCTAssertEqual(start.version, SwiftDDPOVersion.current)
        XCTAssertEqual(start.libtorch, Runtime.version)
        XCTAssertEqual(start.threads, 1)
        XCTAssertEqual(start.workers, first.threading.workers)
        XCTAssertEqual(start.seed, 5)
        XCTAssertEqual(start.worldSize, 1)
        XCTAssertEqual(start.device, "cpu")
        XCTAssertEqual(start.dtype, "float32")
        XCTAssertGreaterThan(start.cores ?? 0, 0)
        XCTAssertFalse(start.host?.isEmpty ?? true)
        if let commit = start.gitCommit { XCTAssertTrue(commit.count == 40 && commit.allSatisfy(\.isHexDigit), commit) }
        XCTAssertEqual(
            start.rewards,
            [.init(role: "reward", name: "jpeg_compressibility", unit: "kB", axisLabel: "reward (−JPEG kB)")])

        let events = try summaries(in: directory)
        func steps(_ tag: String) -> [Int] { events.filter { $0.tag == tag }.map(\.step) }
        XCTAssertEqual(steps("config"), [0, 1], "the configuration at each start's epoch")
        XCTAssertEqual(steps("_hparams_/experiment"), [0, 1])
        XCTAssertEqual(steps("_hparams_/session_start_info"), [0, 1])
        XCTAssertEqual(
            steps("eval/reward_mean"), [0, 1, 2], "before training, after epoch 1, after the resumed epoch 2")
        XCTAssertEqual(steps("eval/reward_std"), [0, 1, 2])
        XCTAssertEqual(steps("samples"), [0, 1])
        XCTAssertEqual(steps("samples/captions"), [0, 1], "the grid's captions as a table")
        XCTAssertFalse(steps("step/loss").isEmpty, "per optimizer step, at the global step")
        let evaluations = try Evaluation.readAll(in: first.evaluationDirectory)
        XCTAssertEqual(
            events.filter { $0.tag == "eval/reward_mean" }.map(\.value), evaluations.map { Float($0.meanReward) })

        let html = RunReport.html(for: try RunFolder.read(directory))
        XCTAssertTrue(html.contains(">reward (−JPEG kB)</text>"), "the reward axis's unit, from run.json")
        XCTAssertTrue(html.contains("seed 5 (evaluation draw)"))
        XCTAssertTrue(html.contains("wall clock (model loading"))
        XCTAssertTrue(html.contains("2 starts"))
    }
}

/// Just enough of an event file to list its summaries: TFRecord frames (checksums
/// are checked in RunLoggingTests), Event.step (2) and summary (5) → value (1) →
/// tag (1), simple_value (2).
private enum EventFileScan {
    static func summaries(_ file: [UInt8]) throws -> [(tag: String, step: Int, value: Float?)] {
        var result: [(tag: String, step: Int, value: Float?)] = []
        var offset = 0
        while offset + 12 <= file.count {
            let length = Int(littleEndian(file, offset, 8))
            let event = Array(file[(offset + 12)..<(offset + 12 + length)])
            offset += 16 + length
            var step = 0
            var tag: String?
            var value: Float?
            for field in fields(event) {
                if field.number == 2 { step = Int(Int64(bitPattern: field.varint)) }
                guard field.number == 5, let summaryValue = fields(field.bytes).first(where: { $0.number == 1 }) else {
                    continue
                }
                for part in fields(summaryValue.bytes) {
                    if part.number == 1 { tag = String(decoding: part.bytes, as: UTF8.self) }
                    if part.number == 2 { value = Float(bitPattern: UInt32(part.varint)) }
                }
            }
            if let tag { result.append((tag, step, value)) }
        }
        return result
    }

    private static func fields(_ message: [UInt8]) -> [(number: Int, varint: UInt64, bytes: [UInt8])] {
        var result: [(number: Int, varint: UInt64, bytes: [UInt8])] = []
        var offset = 0
        func varint() -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while offset < message.count {
                let byte = message[offset]
                offset += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            return value
        }
        while offset < message.count {
            let key = varint()
            switch key & 7 {
            case 0: result.append((Int(key >> 3), varint(), []))
            case 1, 5:
                let count = key & 7 == 1 ? 8 : 4
                result.append((Int(key >> 3), littleEndian(message, offset, count), []))
                offset += count
            default:
                let length = Int(varint())
                result.append((Int(key >> 3), 0, Array(message[offset..<(offset + length)])))
                offset += length
            }
        }
        return result
    }

    private static func littleEndian(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
        (0..<count).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
    }
}
