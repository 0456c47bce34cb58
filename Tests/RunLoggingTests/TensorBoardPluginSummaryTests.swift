import Foundation
import ImageCodecs
import XCTest

@testable import RunLogging

/// Text and hparams summaries read back field by field (the bytes themselves are
/// checked against TensorBoard's Python plugins in `TensorBoardFixtureTests`), and
/// `RunLog`'s captioned sample grid.
final class TensorBoardPluginSummaryTests: XCTestCase {
    func testTextIsAScalarStringTensorOfTheTextPlugin() throws {
        let writer = try TensorBoardWriter(directory: try temporaryDirectory())
        try writer.addText("config", "```yaml\nseed: 42\n```\n", step: 3)
        try writer.close()
        let event = try XCTUnwrap(TensorBoardTestReader.events(in: writer.fileURL).last)
        XCTAssertEqual(event.tag, "config")
        XCTAssertEqual(event.step, 3)
        XCTAssertEqual(event.pluginName, "text")
        XCTAssertNil(event.pluginContent, "TextPluginData version 0 is all defaults: no content")
        let tensor = try XCTUnwrap(event.tensor)
        XCTAssertEqual(tensor.dtype, 7, "DT_STRING")
        XCTAssertEqual(tensor.shape, [], "a scalar: a shape with no dimension")
        XCTAssertEqual(tensor.strings, ["```yaml\nseed: 42\n```\n"])
    }

    func testHParamsAreAnExperimentAndASessionStartOfTheHParamsPlugin() throws {
        let writer = try TensorBoardWriter(directory: try temporaryDirectory())
        let hparams = TensorBoardHParams(
            values: ["train.learning_rate": .number(3e-4), "seed": .string("42"), "use_lora": .bool(false)],
            metrics: [.init(tag: "eval/reward_mean", displayName: "evaluation reward", description: "fixed prompts")],
            groupName: "demo", startTime: 1_700_000_000)
        try writer.addHParams(hparams, step: 0)
        try writer.close()
        let events = Array(try TensorBoardTestReader.events(in: writer.fileURL).dropFirst())
        XCTAssertEqual(events.map(\.tag), ["_hparams_/experiment", "_hparams_/session_start_info"])
        XCTAssertEqual(events.map(\.pluginName), ["hparams", "hparams"])
        for event in events {
            // The plugin's NULL_TENSOR: an empty float vector.
            XCTAssertEqual(event.tensor?.dtype, 1)
            XCTAssertEqual(event.tensor?.shape, [0])
        }

        // HParamsPluginData.experiment (2): hparam_infos (4) by name, metric_infos (5).
        let experiment = try XCTUnwrap(
            TensorBoardTestReader.fields(XCTUnwrap(events[0].pluginContent)).first { $0.fieldNumber == 2 })
        let infos = try TensorBoardTestReader.fields(experiment.bytes)
        let names = try infos.filter { $0.fieldNumber == 4 }.map { info in
            String(decoding: try XCTUnwrap(TensorBoardTestReader.fields(info.bytes).first).bytes, as: UTF8.self)
        }
        XCTAssertEqual(names, ["seed", "train.learning_rate", "use_lora"])
        let metric = try XCTUnwrap(infos.first { $0.fieldNumber == 5 })
        let metricName = try XCTUnwrap(TensorBoardTestReader.fields(metric.bytes).first { $0.fieldNumber == 1 })
        XCTAssertEqual(
            try TensorBoardTestReader.fields(metricName.bytes).map { String(decoding: $0.bytes, as: UTF8.self) },
            ["eval/reward_mean"])

        // HParamsPluginData.session_start_info (3): the map's entries, the group name.
        let start = try XCTUnwrap(
            TensorBoardTestReader.fields(XCTUnwrap(events[1].pluginContent)).first { $0.fieldNumber == 3 })
        let startFields = try TensorBoardTestReader.fields(start.bytes)
        var values: [String: TensorBoardTestReader.Field] = [:]
        for entry in startFields where entry.fieldNumber == 1 {
            let parts = try TensorBoardTestReader.fields(entry.bytes)
            values[String(decoding: parts[0].bytes, as: UTF8.self)] = try TensorBoardTestReader.fields(parts[1].bytes)[
                0]
        }
        XCTAssertEqual(values["seed"].map { String(decoding: $0.bytes, as: UTF8.self) }, "42")
        XCTAssertEqual(values["train.learning_rate"].map { Double(bitPattern: $0.number) }, 3e-4)
        XCTAssertEqual(values["use_lora"]?.fieldNumber, 4, "bool_value, written though false (a oneof)")
        XCTAssertEqual(values["use_lora"]?.number, 0)
        XCTAssertEqual(
            startFields.first { $0.fieldNumber == 4 }.map { String(decoding: $0.bytes, as: UTF8.self) }, "demo")
    }

    func testRunLogWritesTheCaptionedGridAndItsCaptionTable() throws {
        let directory = try temporaryDirectory()
        let log = try RunLog(directory: directory)
        let images = (0..<3).map { index in
            RGBImage(width: 16, height: 16, pixels: [UInt8](repeating: UInt8(60 * index), count: 16 * 16 * 3))
        }
        let captions = [
            SampleCaption(prompt: "a red circle", reward: -1.7923), SampleCaption(prompt: "two | cats", reward: -2),
            SampleCaption(prompt: "a dog", reward: .nan)
        ]
        try log.addCaptionedImages("samples", images, captions: captions, columns: 2, step: 4)
        try log.close()
        let file = try XCTUnwrap(
            FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasPrefix("events.out") })
        let events = try TensorBoardTestReader.events(in: directory.appendingPathComponent(file))
        XCTAssertEqual(events.dropFirst().map(\.tag), ["samples", "samples/captions"])
        XCTAssertEqual(events.dropFirst().map(\.step), [4, 4])
        let image = try RGBImage(pngData: XCTUnwrap(events[1].image?.encoded))
        XCTAssertEqual(image, CaptionedImageGrid.render(images, captions: captions, columns: 2))
        XCTAssertEqual(
            events[2].tensor?.strings,
            [
                "| # | prompt | reward |\n|---:|---|---:|\n| 1 | a red circle | -1.792 |\n| 2 | two \\| cats | -2 |\n"
                    + "| 3 | a dog | NaN (dropped) |\n"
            ])
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tb-plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
