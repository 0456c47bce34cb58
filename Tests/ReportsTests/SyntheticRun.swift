import Foundation
import ImageCodecs
import RunLogging

@testable import DDPO
@testable import Reports

/// A run folder written the way the trainer writes one (config.yaml, metrics.jsonl
/// through `MetricsLog`, evaluations through `Evaluation.write`), with numbers
/// chosen so the report's figures can be checked by hand.
struct SyntheticRun {
    let directory: URL

    static let prompts = ["a red circle", "a blue square", "two cats", "a <b>bold</b> prompt", "a dog"]
    static let beforeRewards = [0.1, 0.2, 0.3, 0.4, 0.25]  // mean 0.25
    static let afterRewards = [0.6, 0.7, 0.8, 0.9, 0.75]  // mean 0.75
    /// reward_mean per epoch: -2 → -1.25; epoch 1 is logged twice (a resume), the later line wins.
    static let rewardMeans = [-2.0, -1.5, -1.25]

    static let configuration = """
        # a comment that must stay text: <script>alert("owned")</script>
        run_name: synthetic
        seed: 7
        epochs: 3
        model: /models/tiny-sd1
        prompt: simple_animals
        reward: jpeg_compressibility
        sample: {batch_size: 4, num_batches_per_epoch: 2}
        train: {algorithm: ddpo_is}
        lora: {rank: 4, alpha: 4}

        """

    init(in parent: URL, epochs: Int = 3, evaluations: Bool = true) throws {
        directory = parent.appendingPathComponent("synthetic")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.configuration.write(
            to: directory.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let log = try MetricsLog(fileURL: directory.appendingPathComponent("metrics.jsonl"))
        for epoch in 0..<epochs {
            if epoch == 1 {
                // Logged before a crash, then again after the resume: the later line is the history.
                var stale = Self.values(epoch: epoch)
                stale["reward_mean"] = 99
                try log.record(stale, step: 4, epoch: epoch, time: 1_700_000_000)
            }
            try log.record(
                Self.values(epoch: epoch), step: 2 * (epoch + 1), epoch: epoch, time: 1_700_000_000 + Double(epoch))
        }
        try log.close()
        if evaluations { try Self.writeEvaluations(in: directory, afterEpoch: epochs) }
    }

    static func values(epoch: Int) -> [String: Double] {
        [
            "reward_mean": rewardMeans[epoch], "reward_std": 0.5, "loss": 0.01 * Double(epoch + 1),
            "approx_kl": epoch == 1 ? .nan : 1e-4, "clipfrac": 0.125, "grad_norm": 1,
            "time_sampling_s": 2, "time_reward_wait_s": 0.5, "time_training_s": Double(epoch + 3)
        ]
    }

    /// An 8×6 tile whose pixels encode its index and the epoch, so tiles can be told apart.
    static func tile(_ index: Int, epoch: Int) -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<6 {
            for x in 0..<8 { pixels += [UInt8(index * 40), UInt8(epoch * 20 + x), UInt8(y * 30)] }
        }
        return RGBImage(width: 8, height: 6, pixels: pixels)
    }

    static func evaluation(epoch: Int, rewards: [Double]) -> Evaluation {
        Evaluation(
            // The seed the trainer derives for its evaluations from config.yaml's seed 7.
            prompts: prompts, rewards: rewards, seed: Trainer.evaluationSeed(runSeed: 7, task: 0), epoch: epoch,
            grid: String(format: "epoch-%06d.png", epoch), columns: 3, tileWidth: 8, tileHeight: 6, padding: 2)
    }

    static func writeEvaluations(in directory: URL, afterEpoch epochs: Int) throws {
        let folder = directory.appendingPathComponent("evaluations")
        try evaluation(epoch: 0, rewards: beforeRewards)
            .write(images: prompts.indices.map { tile($0, epoch: 0) }, to: folder)
        if epochs > 0 {
            try evaluation(epoch: epochs, rewards: afterRewards)
                .write(images: prompts.indices.map { tile($0, epoch: epochs) }, to: folder)
        }
    }
}
