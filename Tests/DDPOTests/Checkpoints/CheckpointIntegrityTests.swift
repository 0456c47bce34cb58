import Foundation
import Torch
import XCTest

@testable import DDPO

/// Manifests (each file's size and SHA-256), the state's epoch against the folder's
/// name, and the choice of the checkpoint a resume continues from (issue #20: 9, 10).
final class CheckpointIntegrityTests: XCTestCase {
    private var run: URL!

    override func setUpWithError() throws {
        run = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-integrity-\(UUID())")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: run)
    }

    private func state(_ epoch: Int) throws -> CheckpointState {
        let tracker = try PerPromptStatTracker(bufferSize: 4, minCount: 2, buffers: ["a cat": [1, 2.5]])
        return CheckpointState(epoch: epoch, globalStep: epoch * 3, statTracker: tracker.state, trainable: "lora")
    }

    /// A store with checkpoints of epochs 1...`epochs`, each with weights of 64 floats.
    private func store(epochs: Int) throws -> CheckpointStore {
        let store = CheckpointStore(runDirectory: run, kept: 5)
        for epoch in 1...epochs {
            try store.save(
                state: state(epoch),
                trainableWeights: ["w": Tensor((0..<64).map { Float($0 * epoch) })],
                optimizerState: ["step": Tensor([Int64(epoch)], shape: [])])
        }
        return store
    }

    /// Flips one byte of the tensor data at the end of `file`, leaving the header intact.
    private func corruptTensorBytes(_ file: URL) throws {
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count - 3] ^= 0x40
        try bytes.write(to: file)
        XCTAssertNoThrow(try Safetensors.load(file), "still parses: only a checksum can tell")
    }

    /// The digests are standard SHA-256, as `sha256sum` prints them (FIPS 180-2's "abc"
    /// vector, and a file longer than one 4 MiB read).
    func testDigestsAreSHA256() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let abc = folder.appendingPathComponent("abc")
        try Data("abc".utf8).write(to: abc)
        let (digest, bytes) = try CheckpointManifest.digest(fileAt: abc.path)
        XCTAssertEqual(digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(bytes, 3)
        // One million 'a's: the standard's long vector, read in one piece; 5 MiB of them in two.
        let million = folder.appendingPathComponent("million")
        try Data(repeating: UInt8(ascii: "a"), count: 1_000_000).write(to: million)
        XCTAssertEqual(
            try CheckpointManifest.digest(fileAt: million.path).sha256,
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        let large = folder.appendingPathComponent("large")
        try Data(repeating: 7, count: 5 << 20).write(to: large)
        XCTAssertEqual(try CheckpointManifest.digest(fileAt: large.path).bytes, 5 << 20)
    }

    func testSaveWritesAManifestOfEveryFile() throws {
        let url = try store(epochs: 1).checkpoints()[0]
        let manifest = try XCTUnwrap(try CheckpointManifest.read(folder: url))
        XCTAssertEqual(Set(manifest.files.keys), ["trainable.safetensors", "optimizer.safetensors", "state.json"])
        for (name, entry) in manifest.files {
            let size = try FileManager.default.attributesOfItem(atPath: url.appendingPathComponent(name).path)[.size]
            XCTAssertEqual(entry.bytes, (size as? NSNumber)?.intValue, name)
            XCTAssertEqual(entry.sha256.count, 64, name)
        }
        XCTAssertTrue(try store(epochs: 1).load(url).hasManifest)
    }

    func testDamagedTensorBytesAreRefusedNamingTheFileAndThePreviousGoodCheckpoint() throws {
        let store = try store(epochs: 2)
        let newest = store.directory.appendingPathComponent("epoch-000002")
        try corruptTensorBytes(newest.appendingPathComponent("trainable.safetensors"))
        XCTAssertThrowsError(try store.load(newest)) { error in
            XCTAssertTrue("\(error)".contains("epoch-000002/trainable.safetensors"), "\(error)")
            XCTAssertTrue("\(error)".contains("SHA-256"), "\(error)")
        }
        XCTAssertThrowsError(try store.resumePoint(fallBackToLastGood: false)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("epoch-000002/trainable.safetensors"), text)
            XCTAssertTrue(text.contains("epoch-000001"), text)
            XCTAssertTrue(text.contains("--resume-from-last-good"), text)
        }
        // Nothing was moved by the refusal.
        XCTAssertEqual(try store.checkpoints().map(\.lastPathComponent), ["epoch-000001", "epoch-000002"])
    }

    func testFallingBackSetsTheDamagedCheckpointsAside() throws {
        let store = try store(epochs: 3)
        try corruptTensorBytes(store.directory.appendingPathComponent("epoch-000003/optimizer.safetensors"))
        // A truncated file: its size differs.
        let truncated = store.directory.appendingPathComponent("epoch-000002/trainable.safetensors")
        try Data(try Data(contentsOf: truncated).prefix(20)).write(to: truncated)
        let point = try store.resumePoint(fallBackToLastGood: true)
        XCTAssertEqual(point.checkpoint?.state.epoch, 1)
        XCTAssertEqual(point.checkpoint?.trainableWeights["w"]?.toArray(Float.self).last, 63)
        XCTAssertEqual(point.setAside.count, 2)
        XCTAssertTrue(point.setAside[1].problem.reason.contains("20 bytes where"), "\(point.setAside[1].problem)")
        XCTAssertEqual(try store.checkpoints().map(\.lastPathComponent), ["epoch-000001"])
        for (movedTo, _) in point.setAside {
            XCTAssertTrue(FileManager.default.fileExists(atPath: movedTo.path))
        }
    }

    func testNoIntactCheckpointIsAnError() throws {
        let store = try store(epochs: 1)
        try corruptTensorBytes(store.directory.appendingPathComponent("epoch-000001/trainable.safetensors"))
        for fallBack in [false, true] {
            XCTAssertThrowsError(try store.resumePoint(fallBackToLastGood: fallBack)) { error in
                XCTAssertTrue("\(error)".contains("no checkpoint of this run is intact"), "\(error)")
            }
        }
    }

    func testStateWhoseEpochDisagreesWithItsFolderIsRefused() throws {
        let store = try store(epochs: 2)
        // epoch-000006 holding the state of epoch 2, with a manifest that matches its files.
        let wrong = store.directory.appendingPathComponent("epoch-000006")
        try FileManager.default.copyItem(at: store.directory.appendingPathComponent("epoch-000002"), to: wrong)
        XCTAssertThrowsError(try store.load(wrong)) { error in
            XCTAssertTrue("\(error)".contains("says epoch 2"), "\(error)")
            XCTAssertTrue("\(error)".contains("epoch-000006"), "\(error)")
        }
        XCTAssertThrowsError(try store.resumePoint(fallBackToLastGood: false)) { error in
            XCTAssertTrue("\(error)".contains("epoch-000006/state.json"), "\(error)")
            XCTAssertTrue("\(error)".contains("epoch-000002"), "\(error)")
        }
        XCTAssertEqual(try store.resumePoint(fallBackToLastGood: true).checkpoint?.state.epoch, 2)
    }

    /// Checkpoints written before manifests load unchecked (the trainer warns).
    func testACheckpointWithoutManifestStillLoads() throws {
        let store = try store(epochs: 1)
        let url = store.directory.appendingPathComponent("epoch-000001")
        try FileManager.default.removeItem(at: url.appendingPathComponent(CheckpointManifest.fileName))
        let checkpoint = try store.load(url)
        XCTAssertFalse(checkpoint.hasManifest)
        XCTAssertEqual(try store.resumePoint(fallBackToLastGood: false).checkpoint?.state.epoch, 1)
    }
}
