import Torch

/// Where pretraining images come from: a procedural world that renders any batch
/// from a seed, so a run is reproducible and never repeats a fixed data set.
public protocol PretrainingDataset {
    /// Images [count, 3, 64, 64] float32 in [0, 1] and their captions, for items
    /// `first ..< first + count` of the stream seeded by `seed`.
    func batch(seed: UInt64, first: Int, count: Int) -> (images: Tensor, captions: [String])
    /// Every word a caption may use; the tokenizer gets one token per word.
    var vocabulary: [String] { get }
}

/// A stand-in world until the shapes world lands: each image is one solid colour,
/// captioned "a red square". The colour of item i depends only on (seed, i).
public struct SolidColorDataset: PretrainingDataset {
    public static let colors: [(name: String, rgb: (Float, Float, Float))] = [
        ("red", (1, 0, 0)), ("green", (0, 1, 0)), ("blue", (0, 0, 1)),
        ("yellow", (1, 1, 0)), ("white", (1, 1, 1)), ("black", (0, 0, 0))
    ]
    public let side: Int

    public init(side: Int = 64) {
        self.side = side
    }

    public var vocabulary: [String] { ["a", "square"] + Self.colors.map(\.name) }

    public func batch(seed: UInt64, first: Int, count: Int) -> (images: Tensor, captions: [String]) {
        var values: [Float] = []
        values.reserveCapacity(count * 3 * side * side)
        var captions: [String] = []
        for index in first..<first + count {
            let color = Self.colors[Int(Self.mix(seed, UInt64(index)) % UInt64(Self.colors.count))]
            captions.append("a \(color.name) square")
            for channel in [color.rgb.0, color.rgb.1, color.rgb.2] {
                values.append(contentsOf: repeatElement(channel, count: side * side))
            }
        }
        return (Tensor(values, shape: [count, 3, side, side]), captions)
    }

    /// SplitMix64 of the seed and index: a cheap, stable per-item hash.
    static func mix(_ seed: UInt64, _ index: UInt64) -> UInt64 {
        SplitMix64.mix(seed &+ index &* SplitMix64.gamma &+ SplitMix64.gamma)
    }
}
