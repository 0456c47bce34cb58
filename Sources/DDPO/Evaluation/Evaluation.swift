import DiffusionModels
import Files
import Foundation
import ImageCodecs
import Rewards
import RunLogging
import Torch

/// Samples for fixed prompts with a fixed seed, scored by a reward: the same
/// images before and after training, so the two can be compared side by side.
public struct Evaluation: Codable, Equatable, Sendable {
    public var prompts: [String]
    public var rewards: [Double]
    public var seed: UInt64
    /// Epochs trained when the images were drawn (0 = the base model).
    public var epoch: Int
    /// Grid file name (beside the JSON) and its layout.
    public var grid: String
    public var columns: Int
    public var tileWidth: Int
    public var tileHeight: Int
    public var padding: Int
    /// The mean over samples of each per-sample extra the reward reported (e.g.
    /// shapes_alignment's `match_all`: the recogniser's accuracy). nil in files
    /// written before it existed.
    public var infoMeans: [String: Double]?

    /// The mean of the finite rewards (NaN when none is).
    public var meanReward: Double { EpochReport.mean(rewards.filter(\.isFinite)) }

    /// Samples `prompts` (one image each, noise from `seed`), scores them, and returns
    /// the evaluation with its images. With `batchSize`, the prompts are sampled in
    /// consecutive batches of that size drawing from one generator, so the images
    /// depend on (seed, batch size) and a base model and its fine-tune still get the
    /// same noise.
    public static func run(
        model: StableDiffusion, prompts: [String], seed: UInt64, options: SamplingOptions,
        reward: any Reward, epoch: Int, columns: Int = 4,
        batchSize: Int? = nil
    ) async throws -> (Evaluation, [RGBImage]) {
        let generator = Generator(seed: seed)
        let sampler = TrajectorySampler(model: model)
        let size = max(1, batchSize ?? prompts.count)
        var images: [RGBImage] = []
        for start in stride(from: 0, to: prompts.count, by: size) {
            let chunk = Array(prompts[start..<min(start + size, prompts.count)])
            let decoded = sampler.sample(prompts: chunk, options: options, generator: generator).images
            images += RewardInput(images: decoded, prompts: chunk).images
        }
        let scored = try await reward.score(RewardInput(images: images, prompts: prompts))
        var evaluation = Evaluation(
            prompts: prompts, rewards: scored.rewards, seed: seed, epoch: epoch,
            grid: String(format: "epoch-%06d.png", epoch), columns: min(columns, prompts.count),
            tileWidth: images.first?.width ?? 0, tileHeight: images.first?.height ?? 0,
            padding: 2)
        evaluation.infoMeans = Self.means(of: scored.info)
        return (evaluation, images)
    }

    /// Each key's mean over the samples that report it, non-finite values left out;
    /// nil when no sample reports anything.
    static func means(of info: [[String: Double]]) -> [String: Double]? {
        var sums: [String: (total: Double, count: Int)] = [:]
        for sample in info {
            for (key, value) in sample where value.isFinite {
                sums[key, default: (0, 0)].total += value
                sums[key, default: (0, 0)].count += 1
            }
        }
        return sums.isEmpty ? nil : sums.mapValues { $0.total / Double($0.count) }
    }

    /// Writes `epoch-NNNNNN.png` (the grid) and `epoch-NNNNNN.json` into `directory`.
    public func write(images: [RGBImage], to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let grid = ImageGrid.tile(images, columns: columns, padding: padding)
        try grid.writePNG(to: directory.appendingPathComponent(self.grid))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let json = directory.appendingPathComponent(self.grid.replacingOccurrences(of: ".png", with: ".json"))
        try AtomicFile.write(path: json.path, bytes: Array(try encoder.encode(self)))
    }

    /// Every evaluation written in `directory`, by epoch.
    public static func readAll(in directory: URL) throws -> [Evaluation] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("epoch-") && $0.hasSuffix(".json") }.sorted()
            .map { try decoder.decode(Evaluation.self, from: Data(contentsOf: directory.appendingPathComponent($0))) }
    }
}
