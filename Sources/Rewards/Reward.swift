import ImageCodecs
import Torch

/// A reward function: scores a batch of generated images (docs/algorithm.md §11).
///
/// Rewards are `async` so the trainer can compute them while it samples the next
/// batch. Such concurrency is only safe for rewards that do not use libtorch: a
/// second thread running libtorch ops next to sampling oversubscribes the cores
/// (docs/design.md §5). A reward says so with `usesLibtorch`; the trainer must
/// await those before it samples again.
///
/// Make rewards through `RewardRegistry.make`, which wraps them in `CheckedReward`
/// so every reward's output is checked the same way (counts, NaN / infinity).
public protocol Reward: Sendable {
    /// The registry name, used in logs and error messages.
    var name: String { get }
    /// True when `score` runs libtorch ops (then it must not overlap sampling).
    var usesLibtorch: Bool { get }
    /// The unit of a reward value, short ("kB", "probability"); "" when it has none
    /// or it is unknown (a remote server's score). A run records it in `run.json`, so
    /// the report, which reads only the run folder, can label its axes.
    var unit: String { get }
    /// What a chart's reward axis should say: the quantity with its unit and sign
    /// convention, e.g. "reward (−JPEG kB)" for a reward that is minus a size.
    var axisLabel: String { get }
    /// One reward per image of `input`, in batch order, and per-sample extras for logging.
    func score(_ input: RewardInput) async throws -> RewardBatch
}

extension Reward {
    /// No unit unless a reward says so: a new reward need not know about charts.
    public var unit: String { "" }
    public var axisLabel: String { unit.isEmpty ? "reward" : "reward (\(unit))" }
}

/// The images a reward scores, with their prompts and per-sample prompt metadata.
///
/// Images are 8-bit RGB: every reward of the papers quantizes the decoded images to
/// uint8 first (JPEG size, the CLIP processor of the aesthetic predictor, the images
/// sent to a VLM server), and bytes can cross threads without touching libtorch.
public struct RewardInput: Sendable {
    public var images: [RGBImage]
    public var prompts: [String]
    /// One dictionary per image (from the prompt source); empty ones when absent.
    public var metadata: [[String: String]]

    public var count: Int { images.count }

    /// Traps when prompts or metadata (if given) are not one per image: that is a
    /// bug in the caller, not bad outside input.
    public init(images: [RGBImage], prompts: [String], metadata: [[String: String]]? = nil) {
        precondition(
            prompts.count == images.count,
            "RewardInput: \(prompts.count) prompts for \(images.count) images")
        let metadata = metadata ?? Array(repeating: [:], count: images.count)
        precondition(
            metadata.count == images.count,
            "RewardInput: \(metadata.count) metadata entries for \(images.count) images")
        self.images = images
        self.prompts = prompts
        self.metadata = metadata
    }

    /// Converts a [B, 3, H, W] float batch with values in [0, 1] (as diffusers' image
    /// processor would: clamp, ×255, round half to even). This runs libtorch ops on
    /// the calling thread, synchronously: call it on the sampling thread, then hand
    /// the input to an async reward.
    public init(images batch: Tensor, prompts: [String], metadata: [[String: String]]? = nil) {
        precondition(
            batch.rank == 4 && batch.size(1) == 3,
            "RewardInput: expected images [B, 3, H, W], got \(batch.shape)")
        let images = (0..<batch.size(0)).map { RGBImage(tensor: batch[$0]) }
        self.init(images: images, prompts: prompts, metadata: metadata)
    }
}
