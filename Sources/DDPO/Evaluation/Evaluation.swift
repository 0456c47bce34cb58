import DiffusionModels
import Foundation
import ImageCodecs
import Rewards
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

    public var meanReward: Double {
        let finite = rewards.filter(\.isFinite)
        return finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count)
    }

    /// Samples `prompts` (one image each, noise from `seed`), scores them, and returns
    /// the evaluation with its images.
    public static func run(model: StableDiffusion, prompts: [String], seed: UInt64, options: SamplingOptions,
                           reward: any Reward, epoch: Int, columns: Int = 4) async throws -> (Evaluation, [RGBImage]) {
        let trajectory = TrajectorySampler(model: model).sample(prompts: prompts, options: options,
                                                               generator: Generator(seed: seed))
        let input = RewardInput(images: trajectory.images, prompts: prompts)
        let scored = try await reward.score(input)
        let images = input.images
        let evaluation = Evaluation(prompts: prompts, rewards: scored.rewards, seed: seed, epoch: epoch,
                                    grid: String(format: "epoch-%06d.png", epoch), columns: min(columns, prompts.count),
                                    tileWidth: images.first?.width ?? 0, tileHeight: images.first?.height ?? 0,
                                    padding: 2)
        return (evaluation, images)
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
