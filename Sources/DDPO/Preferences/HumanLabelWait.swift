import Foundation
import ImageCodecs
import Logging
import Rewards

/// The trainer's side of `reward: human`: publishes an epoch's pairs to the run's
/// `preferences/` folder (`PreferenceFolder`), waits until a person has answered
/// enough of them on the page `ddpo label RUN` serves, and turns the answers into
/// rewards the pair objectives train on: the preferred image 1 and the other 0,
/// both 0.5 when equal; a skipped or unanswered pair gets NaN for both images, so
/// the epoch leaves it out as it does a non-finite reward (its samples are dropped).
///
/// A resumed run samples the epoch again, bit for bit, and so publishes the same
/// pairs: the labels already given are kept.
struct HumanLabelWait: Sendable {
    let folder: PreferenceFolder
    let share: Double
    let pollSeconds: Double
    /// The run folder as the user would type it in `ddpo label`.
    let runPath: String
    let logger: Logger

    init(runDirectory: URL, reward: HumanPreferenceReward, logger: Logger) {
        folder = PreferenceFolder(runDirectory: runDirectory)
        share = reward.share
        pollSeconds = reward.pollSeconds
        runPath = runDirectory.path
        self.logger = logger
    }

    /// Answers needed of `pairs` pairs: ceil(share × pairs), at least one.
    static func required(pairs: Int, share: Double) -> Int {
        min(pairs, max(1, Int((share * Double(pairs)).rounded(.up))))
    }

    /// The rewards of `images` (pairs 2k, 2k + 1 of one prompt), from the labels of
    /// `epoch`; returns once `required` pairs are answered. `progress` gets
    /// (answered, required) whenever that changes.
    func rewards(
        epoch: Int, task: String, images: [RGBImage], prompts: [String],
        progress: ((Int, Int) -> Void)? = nil
    ) async throws -> RewardBatch {
        precondition(images.count % 2 == 0 && images.count == prompts.count, "HumanLabelWait: unpaired samples")
        let pairCount = images.count / 2
        var pairs: [(prompt: String, first: [UInt8], second: [UInt8])] = []
        for pair in 0..<pairCount {
            pairs.append(
                (prompts[2 * pair], try images[2 * pair].pngData(), try images[2 * pair + 1].pngData()))
        }
        let required = Self.required(pairs: pairCount, share: share)
        let kept = try folder.publish(epoch: epoch, task: task, pairs: pairs, required: required)
        var labels = try answered(epoch: epoch, pairCount: pairCount)
        if kept && !labels.isEmpty {
            logger.info(
                "kept the labels already given for this epoch",
                metadata: ["epoch": "\(epoch)", "answered": "\(labels.count)"])
        }
        if labels.count < required {
            logger.notice(
                "waiting for human labels: open the page of `ddpo label \(runPath)`",
                metadata: [
                    "epoch": "\(epoch)", "task": "\(task)", "pairs": "\(pairCount)", "needed": "\(required)",
                    "file": "\(folder.labelsFile(epoch).path)"
                ])
        }
        var reported = -1
        while labels.count < required {
            if labels.count != reported {
                progress?(labels.count, required)
                reported = labels.count
            }
            try await Task.sleep(nanoseconds: UInt64(pollSeconds * 1e9))
            labels = try answered(epoch: epoch, pairCount: pairCount)
        }
        progress?(labels.count, required)
        var rewards = [Double](repeating: .nan, count: images.count)
        for (pair, label) in labels {
            switch label.choice {
            case .first: (rewards[2 * pair], rewards[2 * pair + 1]) = (1, 0)
            case .second: (rewards[2 * pair], rewards[2 * pair + 1]) = (0, 1)
            case .equal: (rewards[2 * pair], rewards[2 * pair + 1]) = (0.5, 0.5)
            case .skip: break
            }
        }
        let dropped = rewards.indices.filter { !rewards[$0].isFinite }
        return RewardBatch(rewards: rewards, dropped: dropped)
    }

    /// The labels of this epoch's pairs (ids a stale file might hold beyond them ignored).
    private func answered(epoch: Int, pairCount: Int) throws -> [Int: PairLabel] {
        try folder.labels(epoch: epoch).filter { $0.key >= 0 && $0.key < pairCount }
    }
}
