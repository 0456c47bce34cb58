import DiffusionModels
import Files
import Foundation
import Schedulers
import TestSupport
import Torch
import TorchNN
import XCTest

/// Issue #20: config.json values that used to trap (negative dimensions, indices
/// outside the schedule), sample black images (betas outside (0, 1)) or grow memory
/// without bound (huge layer counts and sizes) are refused when the folder is
/// loaded, before any weight is read, with the file, the field and the range.
final class BadModelConfigurationTests: XCTestCase {
    /// A copy of tiny-sd1 with `change` applied to `component/file` (JSON).
    private func pipeline(
        _ component: String, _ file: String = "config.json", _ change: (inout [String: Any]) -> Void
    ) throws -> URL {
        let root = try Fixtures.temporaryDirectory(self, prefix: "bad-config")
        let copy = root.appendingPathComponent("tiny-sd1")
        try FileManager.default.copyItem(at: Fixtures.pipeline("tiny-sd1"), to: copy)
        let url = copy.appendingPathComponent(component).appendingPathComponent(file)
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        change(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return copy
    }

    /// Loading the pipeline throws a ConfigurationFileError naming the file and
    /// containing each of `texts` (the field and its range).
    private func assertRefused(
        _ component: String, file: String = "config.json", _ texts: [String],
        line: UInt = #line, _ change: (inout [String: Any]) -> Void
    ) throws {
        let folder = try pipeline(component, file, change)
        let start = Date()
        XCTAssertThrowsError(try StableDiffusion.load(directory: folder), line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(error is ConfigurationFileError, "unexpected error type: \(message)", line: line)
            XCTAssertTrue(message.contains("\(component)/\(file)"), "the file is not named: \(message)", line: line)
            for text in texts {
                XCTAssertTrue(message.contains(text), "'\(text)' missing from: \(message)", line: line)
            }
        }
        // Refused from the config alone: nothing big was allocated first.
        XCTAssertLessThan(Date().timeIntervalSince(start), 20, line: line)
    }

    func testUNetSampleSizeOutsideItsRangeIsRefused() throws {
        try assertRefused("unet", ["sample_size", "1...1024", "got -8"]) { $0["sample_size"] = -8 }
        try assertRefused("unet", ["sample_size", "1...1024", "got 0"]) { $0["sample_size"] = 0 }
        try assertRefused("unet", ["sample_size", "got 100000", "GiB"]) { $0["sample_size"] = 100_000 }
    }

    func testHugeUNetIsRefusedWithItsSize() throws {
        try assertRefused("unet", ["layers_per_block", "1...1000", "got 1000000000", "G parameters", "GiB"]) {
            $0["layers_per_block"] = 1_000_000_000
        }
        try assertRefused("unet", ["block_out_channels", "1...65536"]) { $0["block_out_channels"] = [8, 16, 1 << 40] }
        // Each field within its bound, the whole above the parameter limit.
        try assertRefused("unet", ["block_out_channels", "G parameters", "above the limit"]) {
            $0["block_out_channels"] = [65_536, 65_536, 65_536]
            $0["layers_per_block"] = 100
        }
        try assertRefused("unet", ["transformer_layers_per_block", "got 100000"]) {
            $0["transformer_layers_per_block"] = 100_000
        }
    }

    func testHugeVAEAndTextEncoderAreRefused() throws {
        try assertRefused("vae", ["layers_per_block", "got 1000000000", "G parameters"]) {
            $0["layers_per_block"] = 1_000_000_000
        }
        try assertRefused("vae", ["block_out_channels", "1...8"]) {
            $0["block_out_channels"] = Array(repeating: 8, count: 70)
            $0["down_block_types"] = Array(repeating: "DownEncoderBlock2D", count: 70)
            $0["up_block_types"] = Array(repeating: "UpDecoderBlock2D", count: 70)
        }
        try assertRefused("text_encoder", ["hidden_size", "at most 65536"]) { $0["hidden_size"] = 1 << 30 }
        try assertRefused("text_encoder", ["num_hidden_layers", "at most 1000"]) {
            $0["num_hidden_layers"] = 1_000_000_000
        }
        try assertRefused("text_encoder", ["vocab_size"]) { $0["vocab_size"] = 1 << 40 }
        try assertRefused("text_encoder", ["max_position_embeddings"]) { $0["max_position_embeddings"] = 1 << 40 }
        try assertRefused("text_encoder", ["intermediate_size"]) { $0["intermediate_size"] = 1 << 40 }
    }

    func testComponentsThatDoNotFitEachOtherAreRefused() throws {
        try assertRefused("unet", ["cross_attention_dim", "hidden_size 32"]) { $0["cross_attention_dim"] = 64 }
        try assertRefused("unet", ["in_channels", "latent_channels 4"]) {
            $0["in_channels"] = 8
            $0["out_channels"] = 8
        }
        try assertRefused("text_encoder", ["max_position_embeddings", "77 tokens"]) {
            $0["max_position_embeddings"] = 16
        }
        try assertRefused("text_encoder", ["vocab_size", "1113"]) { $0["vocab_size"] = 100 }
    }

    func testBadSchedulerFieldsAreRefused() throws {
        let file = "scheduler_config.json"
        try assertRefused("scheduler", file: file, ["steps_offset", "0...999", "got 5000"]) {
            $0["steps_offset"] = 5000
        }
        try assertRefused("scheduler", file: file, ["beta_start", "(0, 1)", "got 1.5"]) {
            $0["beta_start"] = 1.5
            $0["beta_end"] = 2.0
        }
        try assertRefused("scheduler", file: file, ["beta_start", "(0, 1)", "got -1"]) { $0["beta_start"] = -1 }
        try assertRefused("scheduler", file: file, ["beta_start", "must not exceed beta_end"]) {
            $0["beta_start"] = 0.02
            $0["beta_end"] = 0.001
        }
        try assertRefused("scheduler", file: file, ["num_train_timesteps", "1...100000"]) {
            $0["num_train_timesteps"] = 0
        }
        try assertRefused("scheduler", file: file, ["num_train_timesteps", "1...100000"]) {
            $0["num_train_timesteps"] = 1 << 40
        }
        try assertRefused("scheduler", file: file, ["beta_end", "alpha-bar"]) {
            $0["beta_start"] = 0.5
            $0["beta_end"] = 0.9
        }
        try assertRefused("scheduler", file: file, ["trained_betas", "3 values"]) {
            $0["trained_betas"] = [0.1, 0.2, 0.3]
        }
        try assertRefused("scheduler", file: file, ["clip_sample_range"]) {
            $0["clip_sample"] = true
            $0["clip_sample_range"] = -1
        }
    }

    /// The size checks use a parameter estimate computed from the config alone;
    /// it is exact for the models this library builds.
    func testParameterEstimatesMatchTheBuiltModels() throws {
        func count(_ module: Module) -> Double {
            Double(module.parameterDictionary().values.reduce(0) { $0 + $1.elementCount })
        }
        for name in ["tiny-sd1", "tiny-sd2"] {
            let model = try StableDiffusion.load(directory: Fixtures.pipeline(name))
            XCTAssertEqual(model.unet.configuration.estimatedParameterCount, count(model.unet), name)
            XCTAssertEqual(model.vae.configuration.estimatedParameterCount, count(model.vae), name)
            XCTAssertEqual(model.textEncoder.configuration.estimatedParameterCount, count(model.textEncoder), name)
        }
    }

    /// Steps are checked against the loaded scheduler (steps_offset 1: 999 at most).
    func testSamplingOptionsAreCheckedAgainstTheModel() throws {
        let model = try StableDiffusion.load(directory: Fixtures.pipeline("tiny-sd1"))
        XCTAssertNoThrow(try model.check(SamplingOptions(steps: 999)))
        XCTAssertNoThrow(try model.check(SamplingOptions(eta: 0)), "eta 0 is deterministic DDIM")
        for (options, field, text) in [
            (SamplingOptions(steps: 1000), "steps", "1...999"),
            (SamplingOptions(steps: 1001), "steps", "1...999"),
            (SamplingOptions(steps: 0), "steps", "got 0"),
            (SamplingOptions(guidanceScale: .nan), "guidance_scale", "finite"),
            (SamplingOptions(guidanceScale: .infinity), "guidance_scale", "finite"),
            (SamplingOptions(guidanceScale: 1e6), "guidance_scale", "0...1000"),
            (SamplingOptions(eta: .infinity), "eta", "[0, 1]"),
            (SamplingOptions(eta: 1.5), "eta", "[0, 1]"),
            (SamplingOptions(eta: -0.1), "eta", "[0, 1]"),
            (SamplingOptions(height: 1_000_000), "height", "pixels")
        ] {
            XCTAssertThrowsError(try model.check(options), "\(options)") { error in
                let error = error as? SamplingOptionsError
                XCTAssertEqual(error?.field, field, "\(String(describing: error))")
                XCTAssertTrue(error?.message.contains(text) ?? false, "\(String(describing: error))")
            }
        }
    }
}
