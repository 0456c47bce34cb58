import Foundation
import Torch
import XCTest

@testable import DDPO

/// A rank samples the epoch's global batches `rank × B ..< (rank + 1) × B`, each
/// from the generator and prompts of its global index: so the samples of a 2-rank
/// run are, bit for bit, those of one process drawing all the batches.
final class RankShareSamplingTests: TinyRunTestCase {
    func testEachRanksShareIsItsSliceOfTheWholeEpoch() async throws {
        let trainer = try Trainer(
            configuration: try TrainingConfiguration.decode(
                yaml: tinyRunYAML(name: "share", runs: runs, ["sample": "{num_steps: 3, batch_size: 2}"])),
            catalogue: .tests(), logger: logger)
        let task = trainer.tasks[0]
        let options = trainer.configuration.sample.samplingOptions
        func sample(batches: Int, firstBatch: Int) async throws -> TaskEpoch {
            try await task.sampleEpoch(
                epoch: 1, sampler: trainer.sampler, options: options, batchSize: 2, batches: batches,
                firstBatch: firstBatch, workers: 1, label: "sampling", progress: nil)
        }
        let whole = try await sample(batches: 4, firstBatch: 0)
        for rank in 0..<2 {
            let share = try await sample(batches: 2, firstBatch: 2 * rank)
            let slice = (4 * rank)..<(4 * rank + 4)
            XCTAssertEqual(share.samples.prompts, Array(whole.samples.prompts[slice]), "rank \(rank)")
            XCTAssertEqual(share.scoredRewards, Array(whole.scoredRewards[slice]), "rank \(rank)")
            let wholeLatents = whole.samples.latents.slice(dim: 0, slice)
            XCTAssertEqual(
                share.samples.latents.contiguous().bytes(), wholeLatents.contiguous().bytes(), "rank \(rank)")
            let wholeLogProbabilities = whole.samples.logProbabilities.slice(dim: 0, slice)
            XCTAssertEqual(
                share.samples.logProbabilities.contiguous().bytes(), wholeLogProbabilities.contiguous().bytes())
        }
        // Not trivially equal: the two ranks' shares differ from each other.
        let first = try await sample(batches: 2, firstBatch: 0)
        let second = try await sample(batches: 2, firstBatch: 2)
        XCTAssertNotEqual(first.samples.latents.contiguous().bytes(), second.samples.latents.contiguous().bytes())
    }
}
