import Foundation
import XCTest

@testable import RunLogging

/// Our writer's bytes against an event file written by TensorBoard's own Python
/// record writer and protobuf serializer for the same inputs
/// (scripts/golden/tensorboard_events.py).
final class TensorBoardFixtureTests: XCTestCase {
    /// The 2x3 PNG the script made with PIL (it prints these bytes).
    static let png: [UInt8] = [
        137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 2, 0, 0, 0, 3, 8, 2, 0, 0, 0, 54, 136,
        73, 214, 0, 0, 0, 28, 73, 68, 65, 84, 120, 156, 5, 193, 161, 1, 0, 48, 12, 192, 32, 106, 167, 171, 251, 255,
        151, 25, 8, 25, 42, 240, 246, 62, 66, 69, 5, 57, 43, 178, 72, 136, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130
    ]

    func testBytesEqualTensorBoardsPythonWriter() throws {
        let fixture = try XCTUnwrap(
            Bundle.module.url(
                forResource: "reference", withExtension: "tfevents",
                subdirectory: "Fixtures"))
        let directory = try temporaryDirectory()
        let url = directory.appendingPathComponent("events.out.tfevents.test")
        // Event k has wall time 1700000000.5 + k / 4, as in the script.
        var k = 0.0
        let writer = try TensorBoardWriter(fileURL: url) {
            defer { k += 1 }
            return 1_700_000_000.5 + k / 4
        }
        try writer.addScalar("loss", 0.25, step: 1)
        try writer.addScalar("zero", 0, step: 0)
        try writer.addScalar("negative", -3.5, step: -1)
        try writer.addScalar("large", 1e-3, step: 1_234_567_890_123)
        try writer.addScalar("long/" + String(repeating: "x", count: 150), 2, step: 7)
        try writer.addHistogram(
            "advantages", values: [-1.5, -0.25, 0, 0.5, .nan, 0.5, 2, 3.75, .infinity],
            step: 3, bucketCount: 4)
        try writer.addHistogram("constant", values: [2, 2, 2], step: 4)
        try writer.addImage("samples", png: Self.png, width: 2, height: 3, step: 5)
        try writer.close()

        try assertSameBytes(url, fixture)
    }

    /// Text and hparams summaries against the ones TensorBoard's own plugin functions
    /// make (`text_pb`, `hparams_config_pb`'s experiment, `hparams_pb`), same inputs.
    func testPluginSummaryBytesEqualTensorBoardsPythonPlugins() throws {
        let fixture = try XCTUnwrap(
            Bundle.module.url(forResource: "reference-plugins", withExtension: "tfevents", subdirectory: "Fixtures"))
        let url = try temporaryDirectory().appendingPathComponent("events.out.tfevents.plugins")
        var k = 0.0
        let writer = try TensorBoardWriter(fileURL: url) {
            defer { k += 1 }
            return 1_700_000_000.5 + k / 4
        }
        try writer.addText("config", "```yaml\nseed: 42\nreward: jpeg_compressibility\n```\n", step: 0)
        try writer.addText(
            "samples/captions", "| # | prompt | reward |\n|---:|---|---:|\n| 1 | a “red” circle \\| two | −1.79 |\n",
            step: 3)
        try writer.addHParams(
            TensorBoardHParams(
                values: [
                    "seed": .string("42"), "train.learning_rate": .number(0.0003), "use_lora": .bool(true),
                    "use_ema": .bool(false)
                ],
                descriptions: ["train.learning_rate": "AdamW's step size"],
                metrics: [
                    .init(tag: "reward_mean", displayName: "reward, last epoch", description: "training reward"),
                    .init(tag: "eval/reward_mean", displayName: "evaluation reward", description: "fixed prompts")
                ],
                groupName: "demo", startTime: 1_700_000_000.5),
            step: 2)
        try writer.close()

        try assertSameBytes(url, fixture)
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tb-fixture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The file we wrote equals the fixture TensorBoard's Python code wrote, byte for byte.
    private func assertSameBytes(_ url: URL, _ fixture: URL, line: UInt = #line) throws {
        let ours = Array(try Data(contentsOf: url))
        let reference = Array(try Data(contentsOf: fixture))
        XCTAssertEqual(ours.count, reference.count, line: line)
        if let first = (0..<min(ours.count, reference.count)).first(where: { ours[$0] != reference[$0] }) {
            XCTFail("first differing byte at offset \(first)", line: line)
        }
    }
}
