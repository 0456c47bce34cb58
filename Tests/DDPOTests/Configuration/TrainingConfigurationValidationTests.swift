import XCTest

@testable import DDPO

final class TrainingConfigurationValidationTests: XCTestCase {
    /// Asserts that `change` applied to a valid configuration fails validation
    /// with an error about `field`.
    @discardableResult
    private func assertInvalid(
        _ field: String, file: StaticString = #filePath, line: UInt = #line,
        _ change: (inout TrainingConfiguration) -> Void
    ) -> ConfigurationError? {
        var c = validConfiguration()
        change(&c)
        return assertConfigurationError(
            field: field, { try c.validate(knownRewards: testRewardNames) },
            file: file, line: line)
    }

    func testTheDefaultsWithAModelAreValid() throws {
        let c = validConfiguration()
        XCTAssertEqual(try c.validate(knownRewards: testRewardNames), c)
        XCTAssertEqual(try c.torchDevice(), .cpu)
        XCTAssertEqual(try c.torchDType(), .float32)
    }

    func testTheBriefsErrorsNameTheirFields() {
        let batch = assertInvalid("train.batch_size") {
            $0.sample.batchSize = 3
            $0.sample.numBatchesPerEpoch = 1
            $0.train.batchSize = 2
        }
        XCTAssertTrue(batch?.message.contains("3 samples per epoch") ?? false, "\(batch!)")
        assertInvalid("sample.eta") { $0.sample.eta = 0 }
        assertInvalid("sample.eta") { $0.sample.eta = -1 }
        assertInvalid("sample.num_steps") { $0.sample.numSteps = 0 }
        assertInvalid("train.timestep_fraction") { $0.train.timestepFraction = 0 }
        assertInvalid("train.timestep_fraction") { $0.train.timestepFraction = 1.5 }
        assertInvalid("train.clip_range") { $0.train.clipRange = 0 }
        assertInvalid("train.learning_rate") { $0.train.learningRate = 0 }
        assertInvalid("train.learning_rate") { $0.train.learningRate = .nan }
        let reward = assertInvalid("reward") { $0.reward.name = "jpeg" }
        XCTAssertTrue(
            reward?.message.contains(
                "aesthetic_score, clip_score, diversity, hpsv2, human, jpeg_compressibility, jpeg_incompressibility")
                ?? false)
        let prompt = assertInvalid("prompt") { $0.prompt.name = "animals" }
        XCTAssertTrue(prompt?.message.contains("simple_animals, imagenet_animals") ?? false)
        let group = assertInvalid("advantages.group_size") {
            $0.advantages.strategy = .group
            $0.advantages.groupSize = 3  // 2 samples per epoch by default
        }
        XCTAssertTrue(group?.message.contains("must divide the 2 samples per epoch") ?? false)
        assertInvalid("advantages.per_prompt_min_count") { $0.advantages.perPromptMinCount = 17 }
        assertInvalid("save_freq") { $0.saveFrequency = 0 }
        let dtype = assertInvalid("dtype") { $0.dtype = "fp16" }
        XCTAssertTrue(dtype?.message.contains("float32, float16, bfloat16") ?? false)
        assertInvalid("dtype") { $0.dtype = "int64" }
        assertInvalid("device") { $0.device = "gpu" }
        assertInvalid("device") { $0.device = "cuda:x" }
    }

    func testFurtherChecks() {
        assertInvalid("model") { $0.model = "" }
        assertInvalid("run_name") { $0.runName = "" }
        assertInvalid("run_name") { $0.runName = "a/b" }
        assertInvalid("epochs") { $0.epochs = 0 }
        assertInvalid("checkpoints_kept") { $0.checkpointsKept = 0 }
        assertInvalid("eval_images") { $0.evaluationImages = 0 }
        assertInvalid("threads") { $0.threads = 0 }
        assertInvalid("sample.guidance_scale") { $0.sample.guidanceScale = 0 }
        assertInvalid("sample.batch_size") { $0.sample.batchSize = 0 }
        assertInvalid("sample.num_batches_per_epoch") { $0.sample.numBatchesPerEpoch = 0 }
        assertInvalid("sample.height") { $0.sample.height = 100 }
        assertInvalid("sample.width") { $0.sample.width = 0 }
        assertInvalid("train.batch_size") { $0.train.batchSize = 0 }
        assertInvalid("train.gradient_accumulation_steps") { $0.train.gradientAccumulationSteps = 0 }
        assertInvalid("train.gradient_accumulation_steps") { $0.train.gradientAccumulationSteps = 3 }
        assertInvalid("train.adam_beta1") { $0.train.adamBeta1 = 1 }
        assertInvalid("train.adam_beta2") { $0.train.adamBeta2 = -0.1 }
        assertInvalid("train.adam_weight_decay") { $0.train.adamWeightDecay = -1 }
        assertInvalid("train.adam_epsilon") { $0.train.adamEpsilon = 0 }
        assertInvalid("train.max_grad_norm") { $0.train.maxGradNorm = 0 }
        assertInvalid("train.num_inner_epochs") { $0.train.numInnerEpochs = 0 }
        assertInvalid("train.adv_clip_max") { $0.train.advClipMax = 0 }
        assertInvalid("train.timestep_fraction") {
            $0.sample.numSteps = 10
            $0.train.timestepFraction = 0.05  // floor(0.5) = 0 steps
        }
        assertInvalid("train.rwr_beta") { $0.train.rwrBeta = -0.1 }
        assertInvalid("train.rwr_percentile") { $0.train.rwrPercentile = 101 }
        assertInvalid("advantages.per_prompt_buffer_size") { $0.advantages.perPromptBufferSize = 0 }
        assertInvalid("advantages.group_size") {
            $0.advantages.strategy = .group
            $0.advantages.groupSize = 1
        }
        assertInvalid("lora.rank") { $0.lora.rank = 0 }
        assertInvalid("lora.alpha") { $0.lora.alpha = 0 }
        assertInvalid("lora.targets") { $0.lora.targets = [] }
        assertInvalid("prompt.file") { $0.prompt = .init(name: "file") }
        assertInvalid("prompt.file") { $0.prompt = .init(name: "simple_animals", file: "x.txt") }
        assertInvalid("prompt.prompts") { $0.prompt = .init(name: "fixed", prompts: []) }
        assertInvalid("prompt.prompts") { $0.prompt = .init(name: "fixed", prompts: ["a", " "]) }
        assertInvalid("prompt.prompts") { $0.prompt = .init(name: "simple_animals", prompts: ["a"]) }
    }

    func testValidCombinations() throws {
        var c = validConfiguration()
        c.sample.batchSize = 4
        c.sample.numBatchesPerEpoch = 2
        c.train.batchSize = 2
        c.train.gradientAccumulationSteps = 2
        c.advantages.strategy = .group
        c.advantages.groupSize = 8  // groups may span sampling batches
        c.advantages.perPromptMinCount = 99  // per-prompt settings are ignored by the group strategy
        c.advantages.perPromptBufferSize = 99
        c.useLoRA = false
        c.lora.rank = 0  // ignored without LoRA
        c.device = "cuda:1"
        c.dtype = "bfloat16"
        c.sample.height = 64
        c.prompt = .init(name: "counting", file: "nouns.txt")
        XCTAssertNoThrow(try c.validate(knownRewards: testRewardNames))
        XCTAssertEqual(try c.torchDevice(), .cuda(1))
        XCTAssertEqual(try c.torchDType(), .bfloat16)
    }
}
