import XCTest

@testable import DDPO

final class TrainingConfigurationYAMLTests: XCTestCase {
    /// A configuration with every field away from its default.
    private func unusualConfiguration() -> TrainingConfiguration {
        TrainingConfiguration(
            runName: "round-trip", seed: 7, logDir: "elsewhere", epochs: 3, saveFrequency: 2, checkpointsKept: 9,
            resume: "runs/old/checkpoint_4", model: "models/sd", device: "cuda:1", dtype: "bfloat16", threads: 2,
            useLoRA: false,
            prompt: .init(name: "fixed", prompts: ["a red car", "yes", "1e-4", "a: b", "# not a comment"]),
            reward: .init(name: "remote", options: ["url": "http://127.0.0.1:8000", "quality": "95"]),
            nanRewards: .drop,
            sample: .init(
                numSteps: 20, eta: 0.5, guidanceScale: 7.5, batchSize: 3, numBatchesPerEpoch: 4,
                height: 64, width: 96),
            train: .init(
                algorithm: .rwrSparse, batchSize: 2, learningRate: 1e-5, adamBeta1: 0.8, adamBeta2: 0.99,
                adamWeightDecay: 0.01, adamEpsilon: 1e-6, gradientAccumulationSteps: 3, maxGradNorm: 0.5,
                numInnerEpochs: 2, cfg: false, advClipMax: 10, clipRange: 2e-4, timestepFraction: 0.3,
                rwrBeta: 0.1, rwrPercentile: 75.5),
            advantages: .init(strategy: .group, perPromptBufferSize: 32, perPromptMinCount: 8, groupSize: 6),
            lora: .init(rank: 8, alpha: 16, targets: ["to_q", "to_v"]))
    }

    func testYAMLRoundTrip() throws {
        for original in [unusualConfiguration(), TrainingConfiguration(runName: "defaults")] {
            let yaml = original.yamlString()
            XCTAssertEqual(try TrainingConfiguration.decode(yaml: yaml), original, yaml)
            XCTAssertEqual(yaml, try TrainingConfiguration.decode(yaml: yaml).yamlString(), "stable when rewritten")
        }
    }

    func testSavedYAMLIsCompleteAndReadable() throws {
        let yaml = TrainingConfiguration(runName: "r").yamlString()
        // Every key appears, nulls included, in snake_case, numbers in short form.
        for line in [
            "run_name: r", "seed: 42", "resume: null", "threads: null", "use_lora: true",
            "prompt: imagenet_animals", "reward: jpeg_compressibility", "nan_rewards: error",
            "  num_steps: 50", "  height: null", "  learning_rate: 0.0003", "  adam_epsilon: 1e-08",
            "  clip_range: 0.0001", "  algorithm: ddpo_is", "  strategy: per_prompt", "  - to_out.0"
        ] {
            XCTAssertTrue(yaml.contains(line + "\n"), "missing '\(line)' in\n\(yaml)")
        }
        let keys = yaml.split(separator: "\n").filter { !$0.hasPrefix(" ") && !$0.hasPrefix("-") }
            .map { String($0.prefix { $0 != ":" }) }
        // Except the multi-task keys, written only with `tasks:` (MultiTaskConfigurationTests).
        XCTAssertEqual(
            keys,
            TrainingConfiguration.CodingKeys.allCases.map(\.stringValue)
                .filter { $0 != "tasks" && $0 != "multi_task_update" })
    }

    func testPromptAndRewardShortAndLongForms() throws {
        let short = try TrainingConfiguration.decode(yaml: "prompt: simple_animals\nreward: aesthetic_score\n")
        XCTAssertEqual(short.prompt, .init(name: "simple_animals"))
        XCTAssertEqual(short.reward, .init(name: "aesthetic_score"))
        let long = try TrainingConfiguration.decode(
            yaml: """
                prompt: {name: file, file: prompts.txt}
                reward:
                  name: remote
                  options: {url: "http://127.0.0.1:9000", timeout: 30, strict: true}
                """)
        XCTAssertEqual(long.prompt, .init(name: "file", file: "prompts.txt"))
        XCTAssertEqual(
            long.reward,
            .init(
                name: "remote",
                options: ["url": "http://127.0.0.1:9000", "timeout": "30", "strict": "true"]))
        XCTAssertEqual(try TrainingConfiguration.decode(yaml: "reward: {name: x}").reward, .init(name: "x"))
        assertConfigurationError(field: "prompt.name") { try TrainingConfiguration.decode(yaml: "prompt: {file: a}") }
        assertConfigurationError(field: "prompt.files") {
            try TrainingConfiguration.decode(yaml: "prompt: {name: file, files: a}")
        }
        assertConfigurationError(field: "reward.option") {
            try TrainingConfiguration.decode(yaml: "reward: {name: x, option: {a: 1}}")
        }
        assertConfigurationError(field: "reward.options.a") {
            try TrainingConfiguration.decode(yaml: "reward: {name: x, options: {a: [1, 2]}}")
        }
    }

    func testUnknownKeysAreErrorsThatNameThem() {
        let top = assertConfigurationError(field: "epoch") { try TrainingConfiguration.decode(yaml: "epoch: 3\n") }
        XCTAssertTrue(top?.message.contains("'epoch'") ?? false)
        XCTAssertTrue(top?.message.contains("epochs") ?? false, "lists the known keys")
        let nested = assertConfigurationError(field: "train.learnig_rate") {
            try TrainingConfiguration.decode(yaml: "train:\n  learnig_rate: 1e-4\n  batch_siz: 2\n")
        }
        XCTAssertTrue(nested?.message.contains("'learnig_rate', 'batch_siz'") ?? false, "\(String(describing: nested))")
        assertConfigurationError(field: "lora.dropout") {
            try TrainingConfiguration.decode(yaml: "lora: {dropout: 0.1}")
        }
        assertConfigurationError(field: "sample.steps") { try TrainingConfiguration.decode(yaml: "sample: {steps: 1}") }
        assertConfigurationError(field: "advantages.buffer_size") {
            try TrainingConfiguration.decode(yaml: "advantages: {buffer_size: 1}")
        }
    }

    func testWrongTypesNameTheFieldPath() {
        let cases: [(String, String)] = [
            ("train:\n  learning_rate: fast\n", "train.learning_rate"),
            ("sample:\n  num_steps: 2.5\n", "sample.num_steps"),
            ("sample:\n  height: tall\n", "sample.height"),
            ("epochs: [1, 2]\n", "epochs"),
            ("seed: -1\n", "seed"),
            ("use_lora: maybe\n", "use_lora"),
            ("train: 5\n", "train"),
            ("lora:\n  targets: to_q\n", "lora.targets"),
            ("lora:\n  targets: [to_q, {a: b}]\n", "lora.targets.1"),
            ("train:\n  cfg: 1\n", "train.cfg"),
            ("epochs:\n", "epochs")
        ]
        for (yaml, field) in cases {
            assertConfigurationError(field: field) { try TrainingConfiguration.decode(yaml: yaml) }
        }
        let error = assertConfigurationError(field: "train.learning_rate") {
            try TrainingConfiguration.decode(yaml: "train: {learning_rate: fast}")
        }
        XCTAssertEqual(error?.message, "expected a number, got 'fast'")
        let section = assertConfigurationError(field: "train") { try TrainingConfiguration.decode(yaml: "train: 5") }
        XCTAssertEqual(section?.message, "expected a mapping, got '5'")
        let prompt = assertConfigurationError(field: "prompt") { try TrainingConfiguration.decode(yaml: "prompt: [a]") }
        XCTAssertEqual(prompt?.message, "expected a name or a mapping")
        let element = assertConfigurationError(field: "lora.targets.1") {
            try TrainingConfiguration.decode(yaml: "lora: {targets: [to_q, [x]]}")
        }
        XCTAssertEqual(element?.message, "expected a string")
    }

    func testUnknownChoicesListTheValidOnes() {
        let algorithm = assertConfigurationError(field: "train.algorithm") {
            try TrainingConfiguration.decode(yaml: "train: {algorithm: ppo}")
        }
        XCTAssertEqual(
            algorithm?.message,
            "unknown value 'ppo'; did you mean 'p3o'? (valid: ddpo_is, ddpo_sf, rwr, rwr_sparse, p3o, d3po)")
        let strategy = assertConfigurationError(field: "advantages.strategy") {
            try TrainingConfiguration.decode(yaml: "advantages: {strategy: global}")
        }
        XCTAssertEqual(strategy?.message, "unknown value 'global' (valid: per_prompt, batch, group)")
        assertConfigurationError(field: "nan_rewards") { try TrainingConfiguration.decode(yaml: "nan_rewards: skip") }
    }

    func testNumbersInEveryYAMLSpelling() throws {
        let c = try TrainingConfiguration.decode(
            yaml: """
                train: {learning_rate: 1e-4, adam_epsilon: 1.0e-8, adv_clip_max: 5, clip_range: .0002}
                sample: {num_steps: 1_000}
                """)
        XCTAssertEqual(c.train.learningRate, 1e-4)
        XCTAssertEqual(c.train.adamEpsilon, 1e-8)
        XCTAssertEqual(c.train.advClipMax, 5)
        XCTAssertEqual(c.train.clipRange, 2e-4)
        XCTAssertEqual(c.sample.numSteps, 1000)
    }

    func testLoadNamesTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.yaml")
        try "seed: 3\n".write(to: good, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TrainingConfiguration.load(yaml: good).seed, 3)

        let missing = directory.appendingPathComponent("missing.yaml")
        let notFound = assertConfigurationError(field: "") { try TrainingConfiguration.load(yaml: missing) }
        XCTAssertEqual(notFound?.file, missing.path)

        let typo = directory.appendingPathComponent("typo.yaml")
        try "train:\n  learnig_rate: 1\n".write(to: typo, atomically: true, encoding: .utf8)
        let unknown = assertConfigurationError(field: "train.learnig_rate") {
            try TrainingConfiguration.load(yaml: typo)
        }
        XCTAssertEqual(unknown?.file, typo.path)
        XCTAssertTrue("\(unknown!)".hasPrefix(typo.path + ": train.learnig_rate: unknown key"), "\(unknown!)")

        let broken = directory.appendingPathComponent("broken.yaml")
        try "train: [1,\n".write(to: broken, atomically: true, encoding: .utf8)
        XCTAssertEqual(
            assertConfigurationError(field: "") { try TrainingConfiguration.load(yaml: broken) }?.file,
            broken.path)
    }

    func testJSONDecodingFollowsTheSameRules() throws {
        let decoded = try JSONDecoder().decode(
            TrainingConfiguration.self,
            from: Data(#"{"seed": 5, "train": {"batch_size": 2}}"#.utf8))
        XCTAssertEqual(decoded.seed, 5)
        XCTAssertEqual(decoded.train.batchSize, 2)
        XCTAssertEqual(decoded.train.learningRate, 3e-4)
        XCTAssertThrowsError(try JSONDecoder().decode(TrainingConfiguration.self, from: Data(#"{"sed": 5}"#.utf8)))
    }
}
