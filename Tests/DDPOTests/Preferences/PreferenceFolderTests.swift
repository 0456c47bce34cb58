import Foundation
import XCTest

@testable import DDPO

final class PreferenceFolderTests: XCTestCase {
    private var run: URL!

    override func setUpWithError() throws {
        run = FileManager.default.temporaryDirectory.appendingPathComponent("preference-folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: run)
    }

    private let pairs: [(prompt: String, first: [UInt8], second: [UInt8])] = [
        ("a red circle", [1, 2, 3], [4, 5]), ("a blue square", [6], [7, 8, 9])
    ]

    func testPublishWritesTheImagesAndThePairs() throws {
        let folder = PreferenceFolder(runDirectory: run)
        XCTAssertNil(try folder.newestEpoch())
        XCTAssertFalse(try folder.publish(epoch: 3, task: "main", pairs: pairs, required: 2))
        let epoch = try XCTUnwrap(try folder.newestEpoch())
        XCTAssertEqual(epoch.epoch, 3)
        XCTAssertEqual(epoch.required, 2)
        XCTAssertEqual(epoch.pairs.map(\.prompt), ["a red circle", "a blue square"])
        let second = epoch.pairs[1].images[1]
        XCTAssertEqual(
            FileManager.default.contents(atPath: folder.epochDirectory(3).appendingPathComponent(second).path),
            Data([7, 8, 9]))
    }

    /// A resumed run publishes the same pairs again: the labels stay. Different
    /// pairs move the old labels aside instead of training on them.
    func testRepublishingKeepsLabelsAndDifferentPairsMoveThemAside() throws {
        let folder = PreferenceFolder(runDirectory: run)
        try folder.publish(epoch: 0, task: "main", pairs: pairs, required: 2)
        try folder.record(PairLabel(pair: 1, choice: .second), epoch: 0)
        XCTAssertTrue(try folder.publish(epoch: 0, task: "main", pairs: pairs, required: 2))
        XCTAssertEqual(try folder.labels(epoch: 0)[1]?.choice, .second)

        var changed = pairs
        changed[0].first = [9, 9]
        XCTAssertFalse(try folder.publish(epoch: 0, task: "main", pairs: changed, required: 2))
        XCTAssertTrue(try folder.labels(epoch: 0).isEmpty)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.directory.path)
        XCTAssertTrue(names.contains { $0.hasPrefix("epoch-0.jsonl.replaced-") }, "\(names)")
    }

    func testRecordReplacesAPairsLabelAndKeepsTheOthers() throws {
        let folder = PreferenceFolder(runDirectory: run)
        try folder.publish(epoch: 0, task: "main", pairs: pairs, required: 2)
        try folder.record(PairLabel(pair: 0, choice: .first), epoch: 0)
        try folder.record(PairLabel(pair: 1, choice: .skip), epoch: 0)
        let labels = try folder.record(PairLabel(pair: 0, choice: .equal), epoch: 0)
        XCTAssertEqual(labels.mapValues(\.choice), [0: .equal, 1: .skip])
        let text = try String(contentsOf: folder.labelsFile(0), encoding: .utf8)
        XCTAssertEqual(text.split(separator: "\n").count, 2)
    }

    func testAMalformedLabelLineIsNamed() throws {
        let folder = PreferenceFolder(runDirectory: run)
        try folder.publish(epoch: 0, task: "main", pairs: pairs, required: 2)
        try Data("{\"pair\": 0, \"choice\": \"first\"}\n{\"pair\": 1, \"choice\": \"best\"}\n".utf8)
            .write(to: folder.labelsFile(0))
        XCTAssertThrowsError(try folder.labels(epoch: 0)) { error in
            XCTAssertTrue("\(error)".contains("epoch-0.jsonl") && "\(error)".contains("line 2"), "\(error)")
        }
    }

    func testRequiredAnswers() {
        XCTAssertEqual(HumanLabelWait.required(pairs: 8, share: 1), 8)
        XCTAssertEqual(HumanLabelWait.required(pairs: 8, share: 0.5), 4)
        XCTAssertEqual(HumanLabelWait.required(pairs: 8, share: 0.3), 3)
        XCTAssertEqual(HumanLabelWait.required(pairs: 8, share: 0.01), 1)
    }
}
