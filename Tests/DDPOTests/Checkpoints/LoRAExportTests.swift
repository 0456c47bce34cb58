import DiffusionModels
import Foundation
import Torch
import TorchNN
import XCTest

@testable import DDPO

final class LoRAExportTests: XCTestCase {
    func testExportedAdaptersLoadBackIntoAFreshUNetWithTheSameOutput() throws {
        let unetFolder = PolicyUpdateTests.tinySD1.appendingPathComponent("unet")
        let trained = try UNet2DConditionModel.load(directory: unetFolder)
        // alpha != rank, so the export must fold the scale into lora_B.
        try applyLoRA(to: trained, rank: 2, alpha: 6, generator: Generator(seed: 1))
        withNoGrad {
            for (_, layer) in trained.loraLayers() {
                layer.loraB.weight.copy(
                    from: Tensor.randn(layer.loraB.weight.shape, generator: Generator(seed: 2)) * 0.1)
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lora-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try LoRAExport.write(unet: trained, to: directory)

        let fresh = try UNet2DConditionModel.load(directory: unetFolder)
        try LoRAExport.load(into: fresh, from: directory)
        XCTAssertEqual(fresh.loraLayers().map(\.name), trained.loraLayers().map(\.name))
        let g = Generator(seed: 3)
        let sample = Tensor.randn([2, 4, 8, 8], generator: g)
        let states = Tensor.randn([2, 77, 32], generator: g)
        let t = Tensor([Int64(500), 20])
        let expected = withNoGrad { trained(sample, timesteps: t, encoderHiddenStates: states) }
        let actual = withNoGrad { fresh(sample, timesteps: t, encoderHiddenStates: states) }
        XCTAssertLessThan((expected - actual).abs().max().item(), 1e-5)
        let base = try UNet2DConditionModel.load(directory: unetFolder)
        let baseOutput = withNoGrad { base(sample, timesteps: t, encoderHiddenStates: states) }
        XCTAssertGreaterThan((expected - baseOutput).abs().max().item(), 1e-3, "the adapters had no effect")
    }

    func testAFileWithForeignKeysIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lora-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Safetensors.save(
            ["text_encoder.x.lora_A.weight": Tensor.zeros([2, 2])],
            to: directory.appendingPathComponent(LoRAExport.fileName))
        let unet = try UNet2DConditionModel.load(directory: PolicyUpdateTests.tinySD1.appendingPathComponent("unet"))
        XCTAssertThrowsError(try LoRAExport.load(into: unet, from: directory)) { error in
            XCTAssertTrue("\(error)".contains("text_encoder.x.lora_A.weight"), "\(error)")
        }
    }
}
