import XCTest

@testable import DDPO

final class ConfigurationOverrideTests: XCTestCase {
    private let base = """
        seed: 1
        prompt: simple_animals
        train:
          learning_rate: 3.0e-4
        """

    func testOverridesReplaceTopLevelAndNestedValues() throws {
        let c = try TrainingConfiguration.decode(
            yaml: base,
            overrides: [
                "train.learning_rate=1e-4", "sample.num_steps=20", "prompt=imagenet_animals", "seed=9",
                "use_lora=false", "resume=runs/a", "threads=2", "sample.height=null", "lora.targets=[to_q, to_v]",
                "advantages.strategy=group", "train.algorithm=ddpo_sf", "device=cuda:0"
            ])
        XCTAssertEqual(c.train.learningRate, 1e-4)
        XCTAssertEqual(c.sample.numSteps, 20)
        XCTAssertEqual(c.prompt, .init(name: "imagenet_animals"))
        XCTAssertEqual(c.seed, 9)
        XCTAssertFalse(c.useLoRA)
        XCTAssertEqual(c.resume, "runs/a")
        XCTAssertEqual(c.threads, 2)
        XCTAssertNil(c.sample.height)
        XCTAssertEqual(c.lora.targets, ["to_q", "to_v"])
        XCTAssertEqual(c.advantages.strategy, .group)
        XCTAssertEqual(c.train.algorithm, .ddpoSF)
        XCTAssertEqual(c.device, "cuda:0")
    }

    func testOverridesApplyInOrderAndCreateMissingSections() throws {
        let c = try TrainingConfiguration.decode(yaml: "", overrides: ["epochs=5", "epochs=6", "lora.rank=8"])
        XCTAssertEqual(c.epochs, 6)
        XCTAssertEqual(c.lora.rank, 8)
        XCTAssertEqual(c.lora.alpha, 4, "other keys of a created section keep their defaults")
    }

    func testEmptyValueIsNullAndResetsOptionals() throws {
        let c = try TrainingConfiguration.decode(yaml: "resume: runs/x\n", overrides: ["resume="])
        XCTAssertNil(c.resume)
        assertConfigurationError(field: "epochs") { try TrainingConfiguration.decode(yaml: "", overrides: ["epochs="]) }
    }

    func testPromptAndRewardSubKeys() throws {
        let c = try TrainingConfiguration.decode(
            yaml: base,
            overrides: [
                "prompt.file=nouns.txt", "reward.options.quality=90", "reward.name=remote"
            ])
        XCTAssertEqual(c.prompt, .init(name: "simple_animals", file: "nouns.txt"))
        XCTAssertEqual(c.reward, .init(name: "remote", options: ["quality": "90"]))
        let fixed = try TrainingConfiguration.decode(yaml: "", overrides: ["prompt={name: fixed, prompts: [a cat]}"])
        XCTAssertEqual(fixed.prompt, .init(name: "fixed", prompts: ["a cat"]))
    }

    func testUnknownPathsAreErrorsNamingThem() {
        for (override, field) in [
            ("train.learnig_rate=1", "train.learnig_rate"), ("trian.learning_rate=1", "trian.learning_rate"),
            ("epoch=3", "epoch"), ("seed.value=3", "seed.value"), ("sample.num_steps.x=3", "sample.num_steps.x"),
            ("prompt.nme=x", "prompt.nme"), ("reward.options.a.b=1", "reward.options.a.b"),
            ("reward.name.x=1", "reward.name.x"), (".seed=1", ".seed"), ("train.=1", "train."),
            ("=1", "")
        ] {
            let error = assertConfigurationError(field: field) {
                try TrainingConfiguration.decode(yaml: self.base, overrides: [override])
            }
            XCTAssertTrue(error?.message.contains("unknown setting") ?? false, "\(String(describing: error))")
        }
    }

    func testMalformedOverridesAndTypeErrors() {
        assertConfigurationError(field: "seed") { try TrainingConfiguration.decode(yaml: "", overrides: ["seed"]) }
        let typed = assertConfigurationError(field: "train.learning_rate") {
            try TrainingConfiguration.decode(yaml: self.base, overrides: ["train.learning_rate=fast"])
        }
        XCTAssertEqual(typed?.message, "expected a number, got 'fast'")
        assertConfigurationError(field: "sample.num_steps") {
            try TrainingConfiguration.decode(yaml: "", overrides: ["sample.num_steps=ten"])
        }
        assertConfigurationError(field: "train.algorithm") {
            try TrainingConfiguration.decode(yaml: "", overrides: ["train.algorithm=ppo"])
        }
        assertConfigurationError(field: "sample") {
            try TrainingConfiguration.decode(yaml: "sample: 3\n", overrides: ["sample.num_steps=2"])
        }
        assertConfigurationError(field: "lora.targets") {
            try TrainingConfiguration.decode(yaml: "", overrides: ["lora.targets=[unclosed"])
        }
    }

    func testLoadAppliesOverridesToTheFileAndDoesNotBlameItForThem() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("override-\(UUID().uuidString).yaml")
        try base.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let c = try TrainingConfiguration.load(
            yaml: url,
            overrides: [
                "train.learning_rate=1e-4", "sample.num_steps=20",
                "prompt=simple_animals"
            ])
        XCTAssertEqual(c.train.learningRate, 1e-4)
        XCTAssertEqual(c.sample.numSteps, 20)
        XCTAssertEqual(c.seed, 1)
        let error = assertConfigurationError(field: "train.learning_rate") {
            try TrainingConfiguration.load(yaml: url, overrides: ["train.learning_rate=fast"])
        }
        XCTAssertNil(error?.file)
        XCTAssertNil(
            assertConfigurationError(field: "seed") {
                try TrainingConfiguration.load(yaml: url, overrides: ["seed"])
            }?.file)
    }
}
