import Foundation
import ImageCodecs
import Rewards
import Torch

/// `parity`: a distribution-level reward (Zhang et al. 2024): how evenly one
/// attribute of the scenes (by default the background colour) is spread over the
/// sampling batch, judged by the recogniser.
///
///     p̄(B) = mean over i ∈ B of p_i,    V(B) = H(p̄(B)) / ln K
///
/// with p_i the recogniser's softmax over the attribute's K classes for image i and
/// H the entropy: 1 when the batch's classes are spread perfectly evenly, 0 when every
/// image is certainly the same class; 0 for an empty set. Soft probabilities rather
/// than argmax counts keep V smooth, so DDPO sees progress before a prediction flips.
/// Prompts are not used: the reward is about the batch, whatever it was asked for.
///
/// Per-sample rewards come from `BatchCredit` (option `credit`): under
/// `leave_one_out` an image of a rare class earns more than one of a common class.
/// Info per sample: the recogniser's probability of each class, `p_<class>`.
public final class ShapesParityReward: Reward, @unchecked Sendable {
    public static let registryName = "parity"
    public static let attributeOption = "attribute"
    public static let optionNames = [ShapesAlignmentReward.recogniserOption, attributeOption, BatchCredit.optionName]

    /// The recogniser heads an attribute can be read from.
    public enum Attribute: String, CaseIterable, Sendable {
        case shape, colour, count, background

        /// The class names in the head's order, as used in `info` keys.
        public var classes: [String] {
            switch self {
            case .shape: return ShapeKind.allCases.map(\.rawValue)
            case .colour: return ShapeColor.allCases.map(\.rawValue)
            case .count: return ["1", "2", "3"]
            case .background:
                return BackgroundColor.allCases.map { $0.rawValue.replacingOccurrences(of: " ", with: "_") }
            }
        }
    }

    public let recogniser: ShapesRecogniser
    public let attribute: Attribute
    public let credit: BatchCredit

    public init(recogniser: ShapesRecogniser, attribute: Attribute = .background, credit: BatchCredit = .leaveOneOut) {
        recogniser.eval()
        self.recogniser = recogniser
        self.attribute = attribute
        self.credit = credit
    }

    public var name: String { Self.registryName }
    public var unit: String { "normalised entropy (0–1)" }
    public var axisLabel: String { "reward (parity credit, normalised entropy)" }
    public var usesLibtorch: Bool { true }

    /// Adds `parity` with the options `recogniser` (defaulting to `defaultRecogniser`
    /// when given), `attribute` (default background) and `credit`.
    public static func register(in registry: inout RewardRegistry, defaultRecogniser: String? = nil) {
        registry.register(registryName, options: optionNames) { options in
            let attribute = try options.choice(
                attributeOption, Attribute.allCases.map(\.rawValue),
                default: Attribute.background.rawValue)
            let credit = try BatchCredit(options: options)
            let recogniser = try ShapesRecogniser.load(
                options: options, key: ShapesAlignmentReward.recogniserOption,
                defaultPath: defaultRecogniser)
            return ShapesParityReward(
                recogniser: recogniser, attribute: Attribute(rawValue: attribute)!, credit: credit)
        }
    }

    public func score(_ input: RewardInput) async throws -> RewardBatch {
        guard input.count > 0 else { return RewardBatch(rewards: []) }
        let p = recogniser.probabilities(recogniser.inputs(input.images))
        let head: Tensor
        switch attribute {
        case .shape: head = p.shape
        case .colour: head = p.colour
        case .count: head = p.count
        case .background: head = p.background
        }
        let probabilities = withNoGrad {
            let head = head.to(dtype: .float64)
            return (0..<head.size(0)).map { head[$0].toArray(Double.self) }
        }
        return Self.batch(probabilities: probabilities, classes: attribute.classes, credit: credit)
    }

    /// The reward of a batch whose images have the class distributions `probabilities`.
    public static func batch(probabilities: [[Double]], classes: [String], credit: BatchCredit) -> RewardBatch {
        let (value, rewards) = credit.rewards(count: probabilities.count) { evenness(probabilities, $0) }
        let info = probabilities.map { p in
            Dictionary(uniqueKeysWithValues: zip(classes.map { "p_\($0)" }, p))
        }
        return RewardBatch(rewards: rewards, info: info, batchValue: value)
    }

    /// V of the images at `indices`: the normalised entropy of their mean distribution.
    public static func evenness(_ probabilities: [[Double]], _ indices: [Int]) -> Double {
        guard let first = indices.first, probabilities[first].count > 1 else { return 0 }
        let k = probabilities[first].count
        var mean = [Double](repeating: 0, count: k)
        for i in indices {
            for c in 0..<k { mean[c] += probabilities[i][c] / Double(indices.count) }
        }
        let entropy = mean.filter { $0 > 0 }.map { -$0 * log($0) }.reduce(0, +)
        return entropy / log(Double(k))
    }
}
