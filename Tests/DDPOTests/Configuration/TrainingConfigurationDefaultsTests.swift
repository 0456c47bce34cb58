import XCTest

@testable import DDPO

/// The defaults are docs/algorithm.md §12's numbers (ddpo-pytorch's config/base.py).
final class TrainingConfigurationDefaultsTests: XCTestCase {
    func testDefaultsAreTheReferenceNumbers() {
        let c = TrainingConfiguration()
        XCTAssertEqual(c.seed, 42)
        XCTAssertEqual(c.logDir, "runs")
        XCTAssertEqual(c.epochs, 100)
        XCTAssertEqual(c.saveFrequency, 10)
        XCTAssertEqual(c.checkpointsKept, 3)
        XCTAssertNil(c.resume)
        XCTAssertEqual(c.model, "")
        XCTAssertEqual(c.device, "cpu")
        XCTAssertEqual(c.dtype, "float32")
        XCTAssertNil(c.threads)
        XCTAssertTrue(c.useLoRA)
        XCTAssertEqual(c.prompt, TrainingConfiguration.Prompt(name: "imagenet_animals"))
        XCTAssertEqual(c.reward, TrainingConfiguration.Reward(name: "jpeg_compressibility"))
        XCTAssertEqual(c.nanRewards, .error)

        XCTAssertEqual(c.sample.numSteps, 50)
        XCTAssertEqual(c.sample.eta, 1.0)
        XCTAssertEqual(c.sample.guidanceScale, 5.0)
        XCTAssertEqual(c.sample.batchSize, 1)
        XCTAssertEqual(c.sample.numBatchesPerEpoch, 2)
        XCTAssertNil(c.sample.height)
        XCTAssertNil(c.sample.width)

        XCTAssertEqual(c.train.algorithm, .ddpoIS)
        XCTAssertEqual(c.train.batchSize, 1)
        XCTAssertEqual(c.train.learningRate, 3e-4)
        XCTAssertEqual(c.train.adamBeta1, 0.9)
        XCTAssertEqual(c.train.adamBeta2, 0.999)
        XCTAssertEqual(c.train.adamWeightDecay, 1e-4)
        XCTAssertEqual(c.train.adamEpsilon, 1e-8)
        XCTAssertEqual(c.train.gradientAccumulationSteps, 1)
        XCTAssertEqual(c.train.maxGradNorm, 1.0)
        XCTAssertEqual(c.train.numInnerEpochs, 1)
        XCTAssertTrue(c.train.cfg)
        XCTAssertEqual(c.train.advClipMax, 5)
        XCTAssertEqual(c.train.clipRange, 1e-4)
        XCTAssertEqual(c.train.timestepFraction, 1.0)
        XCTAssertEqual(c.train.rwrBeta, 0.2)
        XCTAssertEqual(c.train.rwrPercentile, 90)

        XCTAssertEqual(c.advantages.strategy, .perPrompt)
        XCTAssertEqual(c.advantages.perPromptBufferSize, 16)
        XCTAssertEqual(c.advantages.perPromptMinCount, 16)
        XCTAssertEqual(c.advantages.groupSize, 4)

        XCTAssertEqual(c.lora.rank, 4)
        XCTAssertEqual(c.lora.alpha, 4)
        XCTAssertEqual(c.lora.scale, 1)
        XCTAssertEqual(c.lora.targets, ["to_q", "to_k", "to_v", "to_out.0"])
    }

    func testAnEmptyDocumentIsTheDefaultConfiguration() throws {
        for text in ["", "{}\n", "# nothing but a comment\n"] {
            var decoded = try TrainingConfiguration.decode(yaml: text)
            XCTAssertFalse(decoded.runName.isEmpty)
            decoded.runName = "x"
            XCTAssertEqual(decoded, TrainingConfiguration(runName: "x"), "for \(text.debugDescription)")
        }
    }

    func testMissingKeysOfASectionTakeTheirDefaults() throws {
        let c = try TrainingConfiguration.decode(yaml: "sample:\n  num_steps: 20\ntrain: {}\n")
        XCTAssertEqual(c.sample, TrainingConfiguration.Sample(numSteps: 20))
        XCTAssertEqual(c.train, TrainingConfiguration.Train())
        XCTAssertEqual(c.advantages, TrainingConfiguration.Advantages())
    }

    func testRunNameDefaultsToATimestamp() throws {
        var components = DateComponents()
        (components.year, components.month, components.day) = (2026, 3, 4)
        (components.hour, components.minute, components.second) = (5, 6, 7)
        let date = Calendar.current.date(from: components)!
        XCTAssertEqual(TrainingConfiguration.timestampRunName(date), "2026.03.04_05.06.07")
        let name = try TrainingConfiguration.decode(yaml: "seed: 1").runName
        XCTAssertNotNil(
            name.range(of: #"^\d{4}\.\d{2}\.\d{2}_\d{2}\.\d{2}\.\d{2}$"#, options: .regularExpression), name)
    }

    func testDerivedCounts() {
        var c = validConfiguration()
        c.sample.batchSize = 8
        c.sample.numBatchesPerEpoch = 32
        c.train.batchSize = 4
        c.train.gradientAccumulationSteps = 16
        XCTAssertEqual(c.samplesPerEpoch, 256)
        XCTAssertEqual(c.optimizerStepsPerInnerEpoch, 4)
        XCTAssertEqual(c.train.trainedTimesteps(numSteps: 50), 50)
        c.train.timestepFraction = 0.5
        XCTAssertEqual(c.train.trainedTimesteps(numSteps: 25), 12)
        XCTAssertEqual(c.runDirectory.path, URL(fileURLWithPath: "runs/test").path)
    }

    func testAlgorithmNames() {
        XCTAssertEqual(
            TrainingAlgorithm.allCases.map(\.rawValue), ["ddpo_is", "ddpo_sf", "rwr", "rwr_sparse", "p3o", "d3po"])
        XCTAssertEqual(TrainingAlgorithm.allCases.filter(\.usesAdvantages), [.ddpoIS, .ddpoSF, .p3o, .d3po])
        XCTAssertEqual(NaNRewardPolicy.allCases.map(\.rawValue), ["error", "drop"])
    }
}
