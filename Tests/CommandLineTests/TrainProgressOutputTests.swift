import Foundation
import TestSupport
import XCTest

/// What `ddpo train` prints off a terminal (a file, a pipe, a job log): one logfmt
/// record per line, every module in the same format, epochs numbered as in
/// metrics.jsonl with a count, elapsed time and ETA, numbers rounded, and a summary
/// of reward and fidelity at the end.
final class TrainProgressOutputTests: XCTestCase {
    /// logfmt's key=value pairs of one line (values may be double-quoted).
    private func fields(_ line: Substring) -> [String: String] {
        var fields: [String: String] = [:]
        let pattern = try! NSRegularExpression(pattern: #"([A-Za-z_/]+)=("(?:[^"\\]|\\.)*"|\S*)"#)
        let text = String(line)
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let key = String(text[Range(match.range(at: 1), in: text)!])
            var value = String(text[Range(match.range(at: 2), in: text)!])
            if value.hasPrefix("\"") { value = String(value.dropFirst().dropLast()) }
            fields[key] = value
        }
        return fields
    }

    func testTrainLogsStructuredEpochLinesWithCountsETAAndASummary() throws {
        let folder = try Fixtures.temporaryDirectory(self, prefix: "ddpo-progress")
        let result = try DDPOExecutable.run([
            "train", "--config", "configs/tiny-compressibility.yaml",
            "--set", "log_dir=\(folder.path)", "--set", "run_name=progress", "--set", "epochs=2",
            "--set", "monitor.every=1", "--set", "monitor.images=2", "--set", "monitor.prompts=simple_animals",
            "--set", "monitor.fidelity=jpeg_incompressibility"
        ])
        XCTAssertEqual(result.status, 0, result.output)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertFalse(lines.isEmpty)
        for line in lines {
            XCTAssertTrue(line.hasPrefix("time="), "not a logfmt record: \(line)")
            let record = fields(line)
            XCTAssertNotNil(record["level"], String(line))
            XCTAssertNotNil(record["msg"], String(line))
            XCTAssertTrue(record["logger"]?.hasPrefix("ddpo.") == true, String(line))
            // swift-log's default handler tagged lines with the module, [ddpo] or [DDPO].
            XCTAssertFalse(line.contains("[DDPO]") || line.contains("[ddpo]"), String(line))
        }
        let epochs = lines.map(fields).filter { $0["msg"] == "epoch" }
        XCTAssertEqual(epochs.map { $0["epoch"] }, ["0", "1"], "epochs numbered as in metrics.jsonl")
        XCTAssertEqual(epochs.map { $0["done"] }, ["1/2", "2/2"])
        for epoch in epochs {
            XCTAssertNotNil(epoch["elapsed"], "\(epoch)")
            XCTAssertNotNil(epoch["eta"], "\(epoch)")
            // Four significant digits at most: "-0.8774", not "-0.8773999999999999".
            let reward = try XCTUnwrap(epoch["reward_mean"])
            XCTAssertNotNil(Double(reward), reward)
            XCTAssertLessThanOrEqual(reward.filter(\.isNumber).drop { $0 == "0" }.count, 4, reward)
        }
        // The metrics file numbers the same epochs.
        let metrics = try String(
            contentsOf: folder.appendingPathComponent("progress/metrics.jsonl"), encoding: .utf8)
        XCTAssertTrue(metrics.contains("\"epoch\":0"), metrics)
        XCTAssertTrue(metrics.contains("\"epoch\":1"), metrics)
        // Phase progress says what it counts.
        let phases = lines.map(fields).filter { $0["msg"] == "sampling" || $0["msg"] == "training" }
        XCTAssertTrue(phases.contains { $0["unit"] == "steps" && $0["context"] == "epoch 0" }, "\(phases)")
        XCTAssertTrue(phases.contains { $0["unit"] == "micro-batches" }, "\(phases)")
        // The monitors' fidelity and the summary at the end.
        let monitors = lines.map(fields).filter { $0["msg"] == "monitor" }
        XCTAssertEqual(monitors.count, 3, "before training and after each epoch")
        XCTAssertTrue(monitors.allSatisfy { $0["fidelity"].flatMap(Double.init) != nil }, "\(monitors)")
        let messages = lines.compactMap { fields($0)["msg"] }
        XCTAssertTrue(messages.contains { $0.hasPrefix("evaluation reward (8 fixed samples): ") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix("held-out fidelity (monitor, epoch 0 → 2): ") }, "\(messages)")
    }
}
