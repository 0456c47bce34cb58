import Foundation
import Torch
import TorchNN

/// Training and measuring a recogniser with `relations` on the compositional world.
extension ShapesRecogniser {
    /// Fractions of correct argmax answers per head on compositional-world scenes.
    /// The axis head is measured on relation scenes only (the others have none).
    public struct CompositionalAccuracies: Equatable, Sendable, CustomStringConvertible {
        public var shape: Double
        public var colour: Double
        public var count: Double
        public var background: Double
        public var secondShape: Double
        public var secondColour: Double
        /// The relation's axis, on relation scenes.
        public var relation: Double
        /// Every head that applies right at once, on all scenes.
        public var all: Double
        /// Every head right, on relation scenes only: the caption read back exactly.
        public var allOnRelationScenes: Double
        public var sceneCount: Int
        public var relationSceneCount: Int

        public var description: String {
            String(
                format: "shape %.4f, colour %.4f, count %.4f, background %.4f, second shape %.4f, "
                    + "second colour %.4f, relation %.4f, all %.4f, all on relation scenes %.4f "
                    + "(%d scenes, %d with a relation)",
                shape, colour, count, background, secondShape, secondColour, relation, all, allOnRelationScenes,
                sceneCount, relationSceneCount)
        }
    }

    /// The summed cross-entropies of all seven heads; the axis head's only over the
    /// scenes that have a relation.
    func compositionalLoss(_ logits: Logits, _ labels: RecogniserLabels) -> Tensor {
        guard let secondShape = logits.secondShape, let secondColour = logits.secondColour, let axis = logits.axis
        else { preconditionFailure("ShapesRecogniser: the compositional loss needs the relation heads") }
        var loss =
            crossEntropy(logits.shape, RecogniserLabels.tensor(labels.shape))
            + crossEntropy(logits.colour, RecogniserLabels.tensor(labels.colour))
            + crossEntropy(logits.count, RecogniserLabels.tensor(labels.count))
            + crossEntropy(logits.background, RecogniserLabels.tensor(labels.background))
            + crossEntropy(secondShape, RecogniserLabels.tensor(labels.secondShape))
            + crossEntropy(secondColour, RecogniserLabels.tensor(labels.secondColour))
        let rows = labels.axis.indices.filter { labels.axis[$0] != nil }
        if !rows.isEmpty {
            let selected = axis.indexSelect(dim: 0, index: RecogniserLabels.tensor(rows))
            loss = loss + crossEntropy(selected, RecogniserLabels.tensor(rows.map { labels.axis[$0]! }))
        }
        return loss
    }

    /// Softmax probabilities of all seven heads, without gradients, in chunks of
    /// `chunk` images, as [B, classes] float64 rows per head (nil for the relation
    /// heads without `relations`).
    public func headProbabilities(_ images: Tensor, chunk: Int = 256) -> [String: [[Double]]] {
        withNoGrad {
            var heads: [String: [Tensor]] = [:]
            var start = 0
            while start < images.size(0) {
                let end = min(start + chunk, images.size(0))
                let logits = self(images.slice(dim: 0, start..<end))
                let named: [(String, Tensor?)] = [
                    ("shape", logits.shape), ("colour", logits.colour), ("count", logits.count),
                    ("background", logits.background), ("second_shape", logits.secondShape),
                    ("second_colour", logits.secondColour), ("axis", logits.axis)
                ]
                for case (let name, let head?) in named {
                    heads[name, default: []].append(head.softmax(dim: 1))
                }
                start = end
            }
            return heads.mapValues { parts in
                let probabilities = Tensor.cat(parts).to(dtype: .float64)
                let classes = probabilities.size(1)
                let flat = probabilities.toArray(Double.self)
                return (0..<probabilities.size(0)).map { Array(flat[$0 * classes..<($0 + 1) * classes]) }
            }
        }
    }

    /// The accuracies on compositional-world `scenes`, rendered at the configured size.
    public func compositionalAccuracy(on scenes: [WorldScene]) -> CompositionalAccuracies {
        precondition(configuration.relations, "ShapesRecogniser.compositionalAccuracy: no relation heads")
        precondition(!scenes.isEmpty, "ShapesRecogniser.compositionalAccuracy: no scenes")
        let p = headProbabilities(ShapesWorld.images(of: scenes, size: configuration.imageSize))
        let labels = RecogniserLabels(scenes.map(\.description))
        let heads: [(String, [Int?])] = [
            ("shape", labels.shape), ("colour", labels.colour), ("count", labels.count),
            ("background", labels.background), ("second_shape", labels.secondShape),
            ("second_colour", labels.secondColour), ("axis", labels.axis)
        ]
        var right: [String: Int] = [:]
        var judged: [String: Int] = [:]
        var allRight = 0
        var relationAllRight = 0
        for i in scenes.indices {
            var sceneRight = true
            for (name, truths) in heads {
                guard let truth = truths[i] else { continue }
                let isRight = argmax(p[name]![i]) == truth
                judged[name, default: 0] += 1
                right[name, default: 0] += isRight ? 1 : 0
                sceneRight = sceneRight && isRight
            }
            allRight += sceneRight ? 1 : 0
            relationAllRight += sceneRight && labels.axis[i] != nil ? 1 : 0
        }
        func fraction(_ name: String) -> Double {
            Double(right[name, default: 0]) / Double(max(1, judged[name, default: 0]))
        }
        let relationScenes = judged["axis", default: 0]
        return CompositionalAccuracies(
            shape: fraction("shape"), colour: fraction("colour"), count: fraction("count"),
            background: fraction("background"), secondShape: fraction("second_shape"),
            secondColour: fraction("second_colour"), relation: fraction("axis"),
            all: Double(allRight) / Double(scenes.count),
            allOnRelationScenes: Double(relationAllRight) / Double(max(1, relationScenes)),
            sceneCount: scenes.count, relationSceneCount: relationScenes)
    }

    /// A recogniser with relation heads trained from `seed` for `steps` batches of
    /// the compositional world, measured on `evaluationCount` fresh scenes (half of
    /// them relation scenes) of another seed, and saved to `folder` when given.
    public static func pretrainCompositional(
        to folder: URL?, steps: Int, batchSize: Int = 64, learningRate: Double = 2e-3, seed: UInt64 = 0,
        evaluationCount: Int = 4_000, progress: ((Int, Double) -> Void)? = nil
    ) throws -> (recogniser: ShapesRecogniser, accuracies: CompositionalAccuracies) {
        let recogniser = ShapesRecogniser(configuration: .init(relations: true), generator: Generator(seed: seed))
        recogniser.train(
            steps: steps, batchSize: batchSize, learningRate: learningRate, seed: seed, evaluationCount: 1,
            progress: progress)
        let evaluationSeed = seed &+ evaluationSeedOffset
        let scenes = (0..<evaluationCount).map { ShapesWorld.compositionalScene(seed: evaluationSeed, index: $0) }
        let accuracies = recogniser.compositionalAccuracy(on: scenes)
        if let folder { try recogniser.save(to: folder) }
        return (recogniser, accuracies)
    }
}

/// The index of the largest value (the first of equal ones, as torch's argmax).
func argmax(_ values: [Double]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}
