import Foundation
import ImageCodecs

/// `diversity`: a distribution-level reward (Zhang et al. 2024), the mean pairwise
/// cosine distance of the batch's image embeddings,
///
///     V(B) = mean over pairs j < k of (1 − ê_j · ê_k),   ê = e / ‖e‖,
///
/// 0 when all images embed alike, 1 for mutually orthogonal embeddings (up to 2 for
/// opposite ones); 0 for fewer than two images. Cosine rather than Euclidean
/// distance because the unit vectors' distance does not depend on the feature
/// scale of each embedder (‖ê_j − ê_k‖² = 2·(1 − ê_j · ê_k), so both rank alike).
/// A zero embedding stays zero and is at distance 1 from everything.
///
/// Per-sample rewards come from `BatchCredit` (option `credit`); `batchValue` is
/// V(B). Info per sample: `mean_distance`, the image's mean distance to the others.
///
/// Options: `features` (`pixels`, the default, needing no model; `clip`, with
/// `model` a CLIPVisionModelWithProjection folder; and whatever the registry adds,
/// e.g. the shapes world's `recogniser`), `model`, `credit`.
public struct DiversityReward: Reward {
    public static let registryName = "diversity"
    public static let featuresOption = "features"
    public static let modelOption = "model"
    public static let optionNames = [featuresOption, modelOption, BatchCredit.optionName]

    public let embedder: any ImageEmbedder
    public let credit: BatchCredit

    public init(embedder: any ImageEmbedder, credit: BatchCredit = .leaveOneOut) {
        self.embedder = embedder
        self.credit = credit
    }

    public var name: String { Self.registryName }
    public var unit: String { "cosine distance" }
    /// Per image the credit, not V(B) itself: the label names what it is a credit of.
    public var axisLabel: String { "reward (diversity credit, cosine distance)" }
    public var usesLibtorch: Bool { embedder.usesLibtorch }

    /// Adds `diversity` with the built-in features `pixels` and `clip` plus `extraFeatures`
    /// (by `features` name; they may read `model`).
    public static func register(in registry: inout RewardRegistry, extraFeatures: [String: ImageEmbedderFactory] = [:])
    {
        let builtIn: [String: ImageEmbedderFactory] = [
            "pixels": { options in
                if let model = options.values[modelOption] {
                    throw options.invalid(modelOption, model, expected: "no model with \(featuresOption): pixels")
                }
                return PixelEmbedder()
            },
            "clip": { options in try CLIPImageEmbedder(options: options, key: modelOption) }
        ]
        let factories = builtIn.merging(extraFeatures) { _, extra in extra }
        let choices = factories.keys.sorted()
        registry.register(registryName, options: optionNames) { options in
            let features = try options.choice(featuresOption, choices, default: "pixels")
            let credit = try BatchCredit(options: options)
            return DiversityReward(embedder: try factories[features]!(options), credit: credit)
        }
    }

    public func score(_ input: RewardInput) async throws -> RewardBatch {
        guard input.count > 0 else { return RewardBatch(rewards: []) }
        let distances = Self.distances(try embedder.embeddings(input.images))
        let (value, rewards) = credit.rewards(count: input.count) { Self.meanPairwiseDistance(distances, $0) }
        let info = distances.indices.map { i -> [String: Double] in
            let others = distances.indices.filter { $0 != i }
            return [
                "mean_distance": others.isEmpty
                    ? 0 : others.map { distances[i][$0] }.reduce(0, +) / Double(others.count)
            ]
        }
        return RewardBatch(rewards: rewards, info: info, batchValue: value)
    }

    /// The cosine distances 1 − ê_j · ê_k of all pairs, as a symmetric matrix.
    public static func distances(_ embeddings: [[Double]]) -> [[Double]] {
        let unit = embeddings.map { e -> [Double] in
            let norm = e.map { $0 * $0 }.reduce(0, +).squareRoot()
            return norm > 0 ? e.map { $0 / norm } : e
        }
        return unit.map { a in unit.map { b in 1 - zip(a, b).map { $0 * $1 }.reduce(0, +) } }
    }

    /// V of the images at `indices`: the mean of their pairwise distances, 0 for fewer than two.
    public static func meanPairwiseDistance(_ distances: [[Double]], _ indices: [Int]) -> Double {
        guard indices.count > 1 else { return 0 }
        var sum = 0.0
        for (a, j) in indices.enumerated() {
            for k in indices[(a + 1)...] { sum += distances[j][k] }
        }
        return sum / Double(indices.count * (indices.count - 1) / 2)
    }
}
