import ImageCodecs

/// Turns images into feature vectors for `diversity`. Implementations: pixels
/// (`PixelEmbedder`), CLIP's image tower (`CLIPImageEmbedder`) and, from the shapes
/// world, the recogniser's hidden layer.
public protocol ImageEmbedder: Sendable {
    /// True when `embeddings` runs libtorch ops (the reward must then not overlap sampling).
    var usesLibtorch: Bool { get }
    /// One vector per image, in order, all of the same length; not normalised.
    func embeddings(_ images: [RGBImage]) throws -> [[Double]]
}

/// Makes the embedder for one `features` choice from the reward's options (it may
/// read `model`, and should throw an error naming it when the model is unusable).
public typealias ImageEmbedderFactory = @Sendable (RewardOptions) throws -> any ImageEmbedder

/// `features: pixels`: the image shrunk to at most `side`×`side` by averaging the
/// pixels of each cell (box filter), RGB mapped from 0...255 to −1...1.
///
/// Needs no model and no libtorch, so `diversity` works for any run. Centring at
/// mid-grey (as the shapes recogniser centres its input) keeps a black image from
/// being the zero vector, which has no direction for the cosine distance.
public struct PixelEmbedder: ImageEmbedder {
    public static let defaultSide = 16
    public let side: Int

    public init(side: Int = defaultSide) {
        precondition(side > 0, "PixelEmbedder: side must be positive, got \(side)")
        self.side = side
    }

    public var usesLibtorch: Bool { false }

    public func embeddings(_ images: [RGBImage]) -> [[Double]] {
        images.map(embedding)
    }

    /// Cell (cy, cx) averages the pixels (y, x) with y·rows/height = cy and
    /// x·columns/width = cx (integer division), so every pixel counts once even when
    /// the size is not a multiple of the grid.
    func embedding(_ image: RGBImage) -> [Double] {
        let rows = min(side, image.height)
        let columns = min(side, image.width)
        var sums = [Double](repeating: 0, count: rows * columns * 3)
        var counts = [Double](repeating: 0, count: rows * columns)
        for y in 0..<image.height {
            let cy = y * rows / image.height
            for x in 0..<image.width {
                let cell = cy * columns + x * columns / image.width
                let pixel = (y * image.width + x) * 3
                for c in 0..<3 { sums[cell * 3 + c] += Double(image.pixels[pixel + c]) }
                counts[cell] += 1
            }
        }
        return sums.indices.map { sums[$0] / counts[$0 / 3] / 127.5 - 1 }
    }
}
