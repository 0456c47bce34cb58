import DiffusionModels
import Foundation
import Logging
import Torch
import TorchNN
import XCTest

@testable import DDPO

final class DiffusersExportTests: TinyRunTestCase {
    private func trainedRun(_ name: String, useLoRA: Bool) async throws -> Trainer {
        let yaml = tinyRunYAML(name: name, runs: runs, ["epochs": "1", "use_lora": "\(useLoRA)"])
        let trainer = try Trainer(
            configuration: try TrainingConfiguration.decode(yaml: yaml), catalogue: .tests(), logger: logger)
        try await trainer.run()
        return trainer
    }

    private func weightFile(_ folder: URL) -> URL {
        folder.appendingPathComponent("unet/diffusion_pytorch_model.safetensors")
    }

    func testAFullFineTuneExportsItsUNetBitwiseAndTheRestOfTheBaseUnchanged() async throws {
        let trainer = try await trainedRun("full", useLoRA: false)
        let out = runs.appendingPathComponent("exported")
        let summary = try DiffusersExport.export(run: trainer.runDirectory, to: out)
        XCTAssertEqual(summary.epoch, 1)
        XCTAssertEqual(summary.trainable, "full")

        let exported = try StableDiffusion.load(directory: out)
        let trained = Dictionary(
            uniqueKeysWithValues: trainer.model.unet.namedParameters().map { ($0.name, $0.tensor) })
        let loaded = exported.unet.namedParameters()
        XCTAssertEqual(Set(loaded.map(\.name)), Set(trained.keys))
        for (name, tensor) in loaded {
            XCTAssertEqual(tensor.bytes(), trained[name]?.bytes(), name)
        }
        // The training changed the UNet, so the export is not the base's file.
        let base = PolicyUpdateTests.tinySD1
        XCTAssertNotEqual(try Data(contentsOf: weightFile(out)), try Data(contentsOf: weightFile(base)))
        for file in [
            "model_index.json", "text_encoder/model.safetensors", "vae/diffusion_pytorch_model.safetensors",
            "unet/config.json", "tokenizer/vocab.json"
        ] {
            XCTAssertEqual(
                try Data(contentsOf: out.appendingPathComponent(file)),
                try Data(contentsOf: base.appendingPathComponent(file)), file)
        }
        let provenance = try JSONSerialization.jsonObject(
            with: Data(contentsOf: out.appendingPathComponent("ddpo_export.json")))
        XCTAssertEqual((provenance as? [String: Any])?["checkpoint"] as? String, "epoch-000001")
    }

    /// LoRA: the adapters are fused into the base weights; the exported UNet (plain,
    /// no adapters) computes what the trained one (with adapters) does.
    func testALoRARunExportsAPlainUNetWithTheAdaptersFusedIn() async throws {
        let trainer = try await trainedRun("lora", useLoRA: true)
        let out = runs.appendingPathComponent("exported-lora")
        XCTAssertEqual(try DiffusersExport.export(run: trainer.runDirectory, to: out).trainable, "lora")

        let names = try Safetensors.load(weightFile(out)).keys
        XCTAssertFalse(names.contains { $0.contains("lora") })
        let exported = try StableDiffusion.load(directory: out)
        XCTAssertTrue(exported.unet.loraLayers().isEmpty)
        let generator = Generator(seed: 11)
        let latents = Tensor.randn([2, 4, 8, 8], generator: generator)
        let timesteps = Tensor([Int64(500), Int64(20)])
        let context = Tensor.randn([2, 77, 32], generator: generator)
        let expected = withNoGrad { trainer.model.unet(latents, timesteps: timesteps, encoderHiddenStates: context) }
        let got = withNoGrad { exported.unet(latents, timesteps: timesteps, encoderHiddenStates: context) }
        XCTAssertLessThan((got - expected).abs().max().item(), 1e-5)
        // The adapters did move the UNet away from the base.
        let base = try StableDiffusion.load(directory: PolicyUpdateTests.tinySD1)
        let baseOutput = withNoGrad { base.unet(latents, timesteps: timesteps, encoderHiddenStates: context) }
        XCTAssertGreaterThan((baseOutput - expected).abs().max().item(), 1e-4)
    }

    func testBadRunsAndDestinationsAreErrorsNamingTheFolder() async throws {
        let notARun = runs.appendingPathComponent("nothing")
        try FileManager.default.createDirectory(at: notARun, withIntermediateDirectories: true)
        XCTAssertThrowsError(try DiffusersExport.export(run: notARun, to: runs.appendingPathComponent("x"))) { error in
            XCTAssertTrue("\(error)".contains(notARun.path) && "\(error)".contains("config.yaml"), "\(error)")
        }
        let trainer = try await trainedRun("again", useLoRA: true)
        let taken = runs.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: taken, withIntermediateDirectories: true)
        XCTAssertThrowsError(try DiffusersExport.export(run: trainer.runDirectory, to: taken)) { error in
            XCTAssertTrue("\(error)".contains("already exists"), "\(error)")
        }
        XCTAssertThrowsError(
            try DiffusersExport.export(
                run: trainer.runDirectory, to: runs.appendingPathComponent("y"),
                baseModel: notARun)
        ) { error in
            XCTAssertTrue("\(error)".contains(notARun.path), "\(error)")
        }
        XCTAssertThrowsError(
            try DiffusersExport.export(
                run: trainer.runDirectory, to: runs.appendingPathComponent("z"),
                epoch: 7)
        ) { error in
            XCTAssertTrue("\(error)".contains("no checkpoint of epoch 7 (epochs kept: 1)"), "\(error)")
        }
        XCTAssertEqual(
            try DiffusersExport.export(
                run: trainer.runDirectory, to: runs.appendingPathComponent("first"),
                epoch: 1
            ).epoch, 1)
        // Nothing half-written is left beside the destinations.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0.hasPrefix(".") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: runs.appendingPathComponent("z").path))
        XCTAssertEqual(leftovers, [])
    }
}
