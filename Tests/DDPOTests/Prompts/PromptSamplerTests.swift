import XCTest

@testable import DDPO

final class PromptSamplerTests: XCTestCase {
    private func sampler(seed: UInt64 = 42, samplesPerPrompt: Int = 1) throws -> PromptSampler {
        PromptSampler(
            promptSet: try PromptSetRegistry.standard.make(.init(name: "imagenet_animals")), seed: seed,
            samplesPerPrompt: samplesPerPrompt)
    }

    func testEqualSeedEpochAndBatchGiveEqualPrompts() throws {
        let a = try sampler()
        let b = try sampler()
        for epoch in 0..<3 {
            for batch in 0..<3 {
                XCTAssertEqual(
                    a.prompts(epoch: epoch, batch: batch, batchSize: 8),
                    b.prompts(epoch: epoch, batch: batch, batchSize: 8))
            }
        }
    }

    func testABatchDoesNotDependOnWhatWasDrawnBefore() throws {
        // Resuming at epoch 5, batch 1 draws what the uninterrupted run drew there.
        let fresh = try sampler()
        let resumed = try sampler().prompts(epoch: 5, batch: 1, batchSize: 4)
        _ = (0..<5).map { fresh.prompts(epoch: $0, batch: 0, batchSize: 4) }
        XCTAssertEqual(fresh.prompts(epoch: 5, batch: 1, batchSize: 4), resumed)
        XCTAssertEqual(fresh.prompts(epoch: 5, firstSample: 4, count: 4), resumed)
    }

    func testSeedsEpochsAndBatchesDiffer() throws {
        let base = try sampler().prompts(epoch: 0, batch: 0, batchSize: 16)
        XCTAssertNotEqual(base, try sampler(seed: 43).prompts(epoch: 0, batch: 0, batchSize: 16))
        XCTAssertNotEqual(base, try sampler().prompts(epoch: 1, batch: 0, batchSize: 16))
        XCTAssertNotEqual(base, try sampler().prompts(epoch: 0, batch: 1, batchSize: 16))
        XCTAssertGreaterThan(Set(base).count, 10, "16 draws from 398 classes are mostly distinct")
    }

    /// The exact draws are part of the run's reproducibility: a change here changes
    /// every run's prompts, so it must be deliberate.
    func testDrawsArePinned() throws {
        let animals = PromptSampler(
            promptSet: try PromptSetRegistry.standard.make(.init(name: "simple_animals")), seed: 42)
        XCTAssertEqual(animals.prompts(epoch: 0, batch: 0, batchSize: 6), PINNED_SIMPLE_ANIMALS)
        var random = PromptRandom(seed: 0, epoch: 0, draw: 0)
        XCTAssertEqual([random.next(), random.next()], PINNED_RANDOM)
    }

    func testGroupsRepeatEachPromptKTimes() throws {
        let grouped = try sampler(samplesPerPrompt: 4)
        let prompts = grouped.prompts(epoch: 2, firstSample: 0, count: 12)
        for group in 0..<3 {
            XCTAssertEqual(Set(prompts[(group * 4)..<(group * 4 + 4)]).count, 1)
        }
        XCTAssertEqual(Set(prompts).count, 3)
        // Batches of 2 straddle groups and still see the same prompts.
        let batched = (0..<6).flatMap { grouped.prompts(epoch: 2, batch: $0, batchSize: 2) }
        XCTAssertEqual(batched, prompts)
        // Draw k of a grouped sampler is draw k of the ungrouped one.
        XCTAssertEqual(prompts[4], try sampler().prompt(epoch: 2, sample: 1))
    }

    func testSamplerFromConfiguration() throws {
        var c = validConfiguration()
        c.prompt = .init(name: "fixed", prompts: ["only"])
        c.advantages.strategy = .group
        c.advantages.groupSize = 2
        let sampler = try PromptSampler(configuration: c)
        XCTAssertEqual(sampler.samplesPerPrompt, 2)
        XCTAssertEqual(sampler.seed, 42)
        XCTAssertEqual(sampler.prompts(epoch: 0, batch: 0, batchSize: 3), ["only", "only", "only"])
        c.advantages.strategy = .perPrompt
        XCTAssertEqual(try PromptSampler(configuration: c).samplesPerPrompt, 1)
    }

    func testUniformIndexCoversTheRangeEvenly() {
        var counts = [Int](repeating: 0, count: 3)
        for draw in 0..<3000 {
            var random = PromptRandom(seed: 1, epoch: 0, draw: draw)
            counts[random.index(below: 3)] += 1
        }
        XCTAssertTrue(counts.allSatisfy { (900...1100).contains($0) }, "\(counts)")
    }
}

private let PINNED_SIMPLE_ANIMALS = ["turtle", "whale", "monkey", "chicken", "chicken", "fly"]
private let PINNED_RANDOM: [UInt64] = [11_306_573_068_052_400_947, 8_432_412_275_679_909_882]
