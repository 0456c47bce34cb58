import Foundation
import Torch
import TorchNN
import XCTest

@testable import DDPO

final class CheckpointStoreTests: XCTestCase {
    private var run: URL!

    override func setUpWithError() throws {
        run = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoints-\(UUID())")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: run)
    }

    private func state(_ epoch: Int) throws -> CheckpointState {
        let tracker = try PerPromptStatTracker(bufferSize: 4, minCount: 2, buffers: ["a cat": [1, 2.5], "a dog": [-1]])
        return CheckpointState(epoch: epoch, globalStep: epoch * 3, statTracker: tracker.state, trainable: "lora")
    }

    func testRoundTripAndPruning() throws {
        let store = CheckpointStore(runDirectory: run, kept: 2)
        for epoch in 1...4 {
            try store.save(
                state: state(epoch), trainableWeights: ["w": Tensor([Float(epoch), 2])],
                optimizerState: ["step": Tensor([Int64(epoch)], shape: [])])
        }
        XCTAssertEqual(try store.checkpoints().map(\.lastPathComponent), ["epoch-000003", "epoch-000004"])
        let latest = try XCTUnwrap(try store.latest())
        XCTAssertEqual(latest.state, try state(4))
        XCTAssertEqual(latest.trainableWeights["w"]?.toArray(Float.self), [4, 2])
        XCTAssertEqual(latest.optimizerState["step"]?.itemInt(), 4)
        let tracker = try PerPromptStatTracker(state: latest.state.statTracker)
        XCTAssertEqual(tracker.buffers["a cat"], [1, 2.5])
    }

    func testInterruptedSaveLeavesThePreviousCheckpointValid() throws {
        let store = CheckpointStore(runDirectory: run, kept: 3)
        try store.save(state: state(1), trainableWeights: ["w": Tensor([Float(1)])], optimizerState: [:])
        // A crash mid-write leaves a partial folder behind; it is never taken for a checkpoint.
        let partial = store.directory.appendingPathComponent(".epoch-000002.partial-x")
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        try Data("garbage".utf8).write(to: partial.appendingPathComponent("state.json"))
        XCTAssertEqual(try store.latest()?.state.epoch, 1)
    }

    func testCorruptStateNamesTheFile() throws {
        let store = CheckpointStore(runDirectory: run, kept: 3)
        let url = try store.save(state: state(1), trainableWeights: ["w": Tensor([Float(1)])], optimizerState: [:])
        try Data("{".utf8).write(to: url.appendingPathComponent("state.json"))
        XCTAssertThrowsError(try store.latest()) { error in
            XCTAssertTrue("\(error)".contains("state.json"), "\(error)")
        }
    }

    func testLoRAExportUsesDiffusersNamesAndFoldsTheScale() throws {
        final class Block: Module {
            @Child(key: "to_q") var toQ: Linear
            override init() {
                super.init()
                toQ = Linear(4, 4)
            }
        }
        let block = Block()
        try applyLoRA(to: block, rank: 2, alpha: 8, generator: Generator(seed: 1))
        let layer = try XCTUnwrap(block.loraLayers().first?.layer)
        withNoGrad { layer.loraB.weight.fill(1) }
        let weights = LoRAExport.weights(of: block)
        XCTAssertEqual(Set(weights.keys), ["unet.to_q.lora_A.weight", "unet.to_q.lora_B.weight"])
        // alpha / rank = 4 folded into B.
        XCTAssertEqual(weights["unet.to_q.lora_B.weight"]?.toArray(Float.self), Array(repeating: 4, count: 8))
    }
}
