import Foundation
import ImageCodecs
import Rewards
import Torch

/// `shapes_alignment`: how likely the recogniser thinks it is that an image shows
/// what its prompt says, as the product of its softmax probabilities of the
/// caption's shape, colour, count and background.
///
/// Why a product: it is the probability that all four are right if the heads are
/// independent, it lies in [0, 1], it is 1 only when every attribute is certain,
/// and a single wrong attribute pulls it towards 0 (a mean would still pay 0.75
/// for a right shape, colour and background on the wrong count). It is also smooth,
/// unlike the argmax match, so DDPO sees progress before the answer flips.
///
/// With the option `combine: mean` the reward is instead the mean of the parts'
/// probabilities: partial credit, the share of the caption drawn right. Where the
/// model starts far from the ceiling (the compositional world's relations, about 4 %
/// right) nearly every product is close to 0, so the differences within a group of
/// samples are the recogniser's noise on tiny numbers, which group normalisation
/// blows up to ±1 advantages; the mean still tells a sample with the objects in the
/// right order from one without.
///
/// Info per sample: each head's probability (`p_shape`, `p_colour`, `p_count`,
/// `p_background`) and whether its argmax matches the caption (`match_*`, 1 or 0,
/// and `match_all`).
///
/// The class is `@unchecked Sendable` because the recogniser (a Module) is a class:
/// scoring only reads its parameters under no-grad, and `usesLibtorch` tells the
/// trainer to await each batch before sampling, so calls do not overlap.
public final class ShapesAlignmentReward: Reward, @unchecked Sendable {
    public static let registryName = "shapes_alignment"
    /// The option naming the folder that `ShapesRecogniser.save(to:)` wrote.
    public static let recogniserOption = "recogniser"
    /// The option choosing how the parts' probabilities make the reward.
    public static let combineOption = "combine"

    /// How the probabilities of a caption's parts make one reward.
    public enum PartCombination: String, CaseIterable, Sendable {
        /// The probability that every part is right (heads taken as independent).
        case product
        /// The mean of the parts' probabilities: the expected share of parts right.
        case mean

        func combine(_ probabilities: [Double]) -> Double {
            switch self {
            case .product: probabilities.reduce(1, *)
            case .mean: probabilities.isEmpty ? 0 : probabilities.reduce(0, +) / Double(probabilities.count)
            }
        }
    }

    public let recogniser: ShapesRecogniser
    public let combination: PartCombination

    public init(recogniser: ShapesRecogniser, combination: PartCombination = .product) {
        recogniser.eval()
        self.recogniser = recogniser
        self.combination = combination
    }

    public var name: String { Self.registryName }
    public var unit: String { "probability" }
    public var axisLabel: String {
        switch combination {
        case .product: "reward (probability every part of the caption is right, 0–1)"
        case .mean: "reward (mean probability of the caption's parts, 0–1)"
        }
    }
    public var usesLibtorch: Bool { true }

    /// Adds `shapes_alignment` with the options `recogniser` (a folder path; when
    /// `defaultRecogniser` is given, it may be left out) and `combine` (`product`, the
    /// default, or `mean`).
    public static func register(in registry: inout RewardRegistry, defaultRecogniser: String? = nil) {
        registry.register(registryName, options: [recogniserOption, combineOption]) { options in
            let combination =
                try PartCombination(
                    rawValue: options.choice(
                        combineOption, PartCombination.allCases.map(\.rawValue),
                        default: PartCombination.product.rawValue)) ?? .product
            let path =
                try defaultRecogniser.map { options.string(recogniserOption, default: $0) }
                ?? options.string(recogniserOption)
            let recogniser: ShapesRecogniser
            do {
                recogniser = try ShapesRecogniser.load(from: URL(fileURLWithPath: path))
            } catch {
                throw options.invalid(recogniserOption, path, expected: "a recogniser folder (\(error))")
            }
            return ShapesAlignmentReward(recogniser: recogniser, combination: combination)
        }
    }

    public func score(_ input: RewardInput) async throws -> RewardBatch {
        try scoreSynchronously(input)
    }

    /// The work of `score`, on the calling thread.
    /// A recogniser with `relations` judges compositional captions
    /// (`scoreCompositionally`); the original one judges exactly as it always has.
    public func scoreSynchronously(_ input: RewardInput) throws -> RewardBatch {
        if recogniser.configuration.relations { return try scoreCompositionally(input) }
        var descriptions: [ShapesScene.Description] = []
        for (index, prompt) in input.prompts.enumerated() {
            guard let description = ShapesWorld.parse(caption: prompt) else {
                if ShapesWorld.parseCompositional(caption: prompt) != nil {
                    throw ShapesWorldError.needsRelationsRecogniser(reward: name, index: index, prompt: prompt)
                }
                throw ShapesWorldError.notAWorldCaption(reward: name, index: index, prompt: prompt)
            }
            descriptions.append(description)
        }
        guard input.count > 0 else { return RewardBatch(rewards: []) }
        let p = recogniser.probabilities(recogniser.inputs(input.images))
        let (shape, colour, count, background) = ShapesRecogniser.labels(descriptions)
        let heads = [
            ("shape", p.shape, shape), ("colour", p.colour, colour),
            ("count", p.count, count), ("background", p.background, background)
        ]
        var info = Array(repeating: [String: Double](), count: input.count)
        var chosenByHead = Array(repeating: [Double](), count: input.count)
        var allMatch = Array(repeating: true, count: input.count)
        withNoGrad {
            for (head, probabilities, labels) in heads {
                let chosen = probabilities.gather(dim: 1, index: labels.unsqueezed(1)).squeezed(1)
                    .to(dtype: .float64).toArray(Double.self)
                let matches = (probabilities.argmax(dim: 1) .== labels).toArray(Bool.self)
                for i in 0..<input.count {
                    chosenByHead[i].append(chosen[i])
                    info[i]["p_\(head)"] = chosen[i]
                    info[i]["match_\(head)"] = matches[i] ? 1 : 0
                    allMatch[i] = allMatch[i] && matches[i]
                }
            }
        }
        for i in 0..<input.count { info[i]["match_all"] = allMatch[i] ? 1 : 0 }
        return RewardBatch(rewards: chosenByHead.map(combination.combine), info: info)
    }
}

/// Outside input the shapes world cannot handle.
public enum ShapesWorldError: Error, CustomStringConvertible, Equatable {
    /// A prompt that is not one of the world's captions (so nothing to check it against).
    case notAWorldCaption(reward: String, index: Int, prompt: String)
    /// A compositional-world caption given to a recogniser without relation heads.
    case needsRelationsRecogniser(reward: String, index: Int, prompt: String)

    public var description: String {
        switch self {
        case .notAWorldCaption(let reward, let index, let prompt):
            return "reward \(reward): prompt \(index) \"\(prompt)\" is not a shapes-world caption"
                + " (expected e.g. \"a red circle on a white background\")"
        case .needsRelationsRecogniser(let reward, let index, let prompt):
            return "reward \(reward): prompt \(index) \"\(prompt)\" is a compositional-world caption, which this"
                + " recogniser cannot judge (it has no relation heads: train one with relations: true)"
        }
    }
}
