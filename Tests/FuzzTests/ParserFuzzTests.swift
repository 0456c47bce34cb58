import DDPO
import Files
import Foundation
import Schedulers
import ShapesWorld
import TestSupport
import Torch
import XCTest

@testable import DiffusionModels
@testable import Rewards

/// Each parser of outside input fed FUZZ_SECONDS (3 by default) of mutated valid inputs: every input must be
/// read or refused with an error, never trap or hang (Tests/FuzzTests/Support/Fuzzer.swift; `make fuzz`).
final class ParserFuzzTests: XCTestCase {
    typealias Violation = Fuzzer.PropertyViolation

    /// safetensors files whose JSON header is mutated (its length field kept right, or set to an extreme),
    /// or whose whole file is; every tensor of a file that opens is read, so a range that escapes the
    /// mapping would fault here.
    func testSafetensors() throws {
        let corpus = try Corpus.safetensors()
        Fuzzer(target: "safetensors").run(corpus: corpus, mutableFiles: ["header.json", "data.bin"]) { folder in
            let header = try Data(contentsOf: folder.appendingPathComponent("header.json"))
            let data = try Data(contentsOf: folder.appendingPathComponent("data.bin"))
            // The length field and whole-file damage come from a generator seeded by the case itself.
            var generator = SplitMix64(seed: UInt64(header.count) &* 31 &+ UInt64(data.count))
            var length = UInt64(header.count)
            switch generator.below(10) {
            case 0:
                length =
                    [0, 1, 7, UInt64.max, 1 << 63, 100_000_001, UInt64(header.count + data.count + 1)][
                        generator.below(7)]
            case 1: length = UInt64(max(header.count + generator.below(16) - 8, 0))
            default: break
            }
            var file = withUnsafeBytes(of: length.littleEndian) { Array($0) } + Array(header) + Array(data)
            if generator.below(8) == 0 {
                file = Mutator.mutate(file, donor: [], generator: &generator)
            }
            let url = folder.appendingPathComponent("model.safetensors")
            try Data(file).write(to: url)
            let opened = try SafetensorsFile(url: url)
            for entry in opened.entries {
                let tensor = try opened.tensor(named: entry.name)
                guard tensor.shape == entry.shape, tensor.dtype == entry.dtype else {
                    throw Violation("tensor '\(entry.name)' read as \(tensor.shape) \(tensor.dtype)")
                }
                _ = tensor.to(dtype: .float64).sum().item()
            }
            _ = try Safetensors.load(url)
        }
    }

    /// A tokenizer folder (vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json) and a
    /// prompt, both mutated; a folder that loads must tokenize the prompt into a [B, maxLength] tensor.
    func testTokenizer() {
        let prompts = [
            "a photo of an astronaut riding a horse", "<|startoftext|>A  Cat!! é\u{301} 12,5 <|endoftext|>",
            "a red circle and a blue square"
        ]
        let corpus = ["tiny-sd1", "tiny-sd2"].flatMap { pipeline in
            prompts.map { prompt in Corpus.tokenizer(pipeline).merging(["prompt.txt": Array(prompt.utf8)]) { a, _ in a }
            }
        }
        Fuzzer(target: "tokenizer").run(corpus: corpus) { folder in
            let tokenizer = try CLIPTokenizer(directory: folder)
            let prompt = (try? String(contentsOf: folder.appendingPathComponent("prompt.txt"), encoding: .utf8)) ?? ""
            _ = tokenizer.encode(prompt)
            let ids = tokenizer([prompt, "", String(prompt.reversed())])
            guard ids.shape == [3, tokenizer.maxLength] else {
                throw Violation("token ids of shape \(ids.shape) for maxLength \(tokenizer.maxLength)")
            }
        }
    }

    /// A pipeline folder's config.json files (UNet, VAE, text encoder, model_index.json, scheduler) and a
    /// CLIP vision config, one or two mutated at a time, read as loading a pipeline reads them, then checked
    /// against each other. Nothing is built: a config that decodes must be within ModelSizeLimits.
    func testModelConfigurations() {
        let corpus = ["tiny-sd1", "tiny-sd2"].map(Corpus.pipelineConfigurations)
        let mutable: Set<String> = [
            "model_index.json", "unet/config.json", "vae/config.json", "text_encoder/config.json",
            "scheduler/scheduler_config.json", "vision/config.json"
        ]
        let limit = ModelSizeLimits.maximumParameters
        Fuzzer(target: "model-configs").run(corpus: corpus, mutableFiles: mutable) { folder in
            var firstError: Error?
            func read<T>(_ body: () throws -> T) -> T? {
                do { return try body() } catch {
                    firstError = firstError ?? error
                    return nil
                }
            }
            func config(_ path: String) -> URL { folder.appendingPathComponent(path) }
            _ = read { try ModelIndex.load(directory: folder) }
            if let unet = read({
                try DiffusersModelFolder.configuration(UNet2DConditionConfiguration.self, in: config("unet"))
            }) {
                guard unet.estimatedParameterCount <= limit else {
                    throw Violation("UNet of \(unet.estimatedParameterCount) parameters decoded")
                }
            }
            if let vae = read({
                try DiffusersModelFolder.configuration(AutoencoderKLConfiguration.self, in: config("vae"))
            }) {
                guard vae.estimatedParameterCount <= limit else {
                    throw Violation("VAE of \(vae.estimatedParameterCount) parameters decoded")
                }
            }
            if let text = read({ try CLIPTextConfiguration.load(from: config("text_encoder/config.json")) }) {
                guard text.estimatedParameterCount <= limit else {
                    throw Violation("text encoder of \(text.estimatedParameterCount) parameters decoded")
                }
            }
            if let vision = read({ try CLIPVisionConfiguration.load(from: config("vision/config.json")) }) {
                // What building the tower computes first: its positions and layer shapes.
                _ = (vision.positionCount, vision.encoderShape)
            }
            if let schedule = read({ try SchedulerConfiguration.load(from: config("scheduler/scheduler_config.json")) })
            {
                let scheduler = DDIMScheduler(configuration: schedule)
                for steps in [1, 50, schedule.numTrainTimesteps, scheduler.maximumInferenceSteps] {
                    _ = try? scheduler.checkedTimesteps(inferenceSteps: steps)
                }
            }
            if let tokenizer = read({ try CLIPTokenizer(directory: config("tokenizer")) }) {
                _ = read { try StableDiffusion.checkComponentsFit(directory: folder, tokenizer: tokenizer) }
            }
            if let firstError { throw firstError }
        }
    }

    /// configs/*.yaml, mutated, read as `ddpo train --config` reads them (with a mutated `--set` override
    /// now and then), validated against the shapes world's catalogue, then written back as the trainer
    /// writes config.yaml: what it writes must read back to the same configuration.
    func testYAMLConfiguration() {
        let overrides = [
            "train.learning_rate=1e-4", "prompt=simple_animals", "sample.num_steps=20", "lora.targets=[to_q,to_v]",
            "reward.options.quality=90", "tasks.1.weight=2", "epochs=3", "run_name=fuzz", "sample.batch_size=2"
        ]
        let corpus = Corpus.yamlConfigurations().enumerated().map { index, yaml in
            ["config.yaml": yaml, "override.txt": Array(overrides[index % overrides.count].utf8)]
        }
        XCTAssertFalse(corpus.isEmpty)
        let catalogue = Catalogue.withShapesWorld(model: "")
        Fuzzer(target: "yaml-config").run(corpus: corpus) { folder in
            let override = (try? String(contentsOf: folder.appendingPathComponent("override.txt"), encoding: .utf8))
            let configuration = try TrainingConfiguration.load(
                yaml: folder.appendingPathComponent("config.yaml"), overrides: override.map { [$0] } ?? [])
            let validated = try configuration.validate(catalogue: catalogue)
            let written = validated.yamlString()
            let reread: TrainingConfiguration
            do {
                reread = try TrainingConfiguration.decode(yaml: written)
            } catch {
                throw Violation("the written configuration does not read back: \(error)\n\(written)")
            }
            guard reread == validated else {
                throw Violation("the written configuration reads back different:\n\(written)")
            }
        }
    }

    /// A reward server's response body, mutated, parsed for a batch of 4 (or an unexpected count).
    func testRewardResponse() {
        let bodies = [
            #"{"rewards": [0.5, 1.0, -2.25, 3e2]}"#,
            #"{"rewards": [0.1, null, NaN, -Infinity], "info": [{"a": 1}, {"a": 2.5}, {}, {"b": -1}]}"#,
            #"{"info": [{"score": 1e-3}, {"score": 2}, {"score": 3}, {"score": Infinity}], "rewards": [1, 2, 3, 4]}"#,
            "{\n  \"rewards\": [\n    0.25,\n    0.5,\n    0.75,\n    1\n  ],\n  \"info\": null\n}\n"
        ]
        let corpus = bodies.map { ["body.json": Array($0.utf8)] }
        Fuzzer(target: "reward-response").run(corpus: corpus) { folder in
            let body = try Data(contentsOf: folder.appendingPathComponent("body.json"))
            let expected = body.count % 17 == 0 ? [0, 1, 3, 5, 1000, -1][body.count % 6] : 4
            let batch = try RemoteRewardResponse.parse(body, expectedCount: expected)
            guard batch.rewards.count == expected, batch.info.count == expected else {
                throw Violation("\(batch.rewards.count) rewards and \(batch.info.count) infos for \(expected)")
            }
        }
    }

    /// A flow-matching scheduler_config.json (SD3's, SD3.5's with dynamic shifting, a linear-shift one),
    /// mutated, read and used for a few step counts: a schedule it gives must be finite, strictly falling
    /// from at most 1 to exactly 0.
    func testFlowMatchSchedulerConfiguration() {
        let bodies = [
            #"{"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 3.0}"#,
            #"{"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 3.0, "#
                + #""use_dynamic_shifting": true, "base_shift": 0.5, "max_shift": 1.15, "base_image_seq_len": 256, "#
                + #""max_image_seq_len": 4096, "invert_sigmas": false, "shift_terminal": null}"#,
            #"{"num_train_timesteps": 500, "shift": 1.0, "use_dynamic_shifting": true, "time_shift_type": "linear"}"#
        ]
        let corpus = bodies.map { ["scheduler_config.json": Array($0.utf8)] }
        Fuzzer(target: "flow-match-scheduler").run(corpus: corpus) { folder in
            let configuration = try FlowMatchSchedulerConfiguration.load(
                from: folder.appendingPathComponent("scheduler_config.json"))
            let scheduler = FlowMatchEulerDiscreteScheduler(configuration: configuration)
            let mu = configuration.useDynamicShifting ? scheduler.mu(imageSequenceLength: 4096) : nil
            for steps in [1, 2, 28, configuration.numTrainTimesteps] {
                guard let schedule = try? scheduler.schedule(inferenceSteps: steps, mu: mu) else { continue }
                let sigmas = schedule.sigmas
                guard sigmas.count == steps + 1, sigmas.last == 0, sigmas.allSatisfy(\.isFinite),
                    let first = sigmas.first, first <= 1,
                    zip(sigmas, sigmas.dropFirst()).allSatisfy({ $0 > $1 })
                else {
                    throw Violation("\(steps) steps gave sigmas \(sigmas.prefix(4))... \(sigmas.suffix(2))")
                }
            }
        }
    }
}
