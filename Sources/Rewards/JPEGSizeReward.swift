import ImageCodecs

/// DDPO's JPEG rewards (docs/algorithm.md §11): the size of the image as a JPEG at
/// quality 95 with 4:2:0 chroma subsampling (PIL's encoder settings, byte for byte),
/// in kB (bytes / 1000), negated for compressibility.
///
/// Works on bytes only (libjpeg, no libtorch), so it can run concurrently with sampling.
public struct JPEGSizeReward: Reward {
    public enum Direction: String, CaseIterable, Sendable {
        /// −kB: smaller files score higher.
        case compressibility = "jpeg_compressibility"
        /// +kB: larger files score higher.
        case incompressibility = "jpeg_incompressibility"
    }

    public static let quality = 95

    public let direction: Direction

    public init(_ direction: Direction) {
        self.direction = direction
    }

    public var name: String { direction.rawValue }
    public var usesLibtorch: Bool { false }
    public var unit: String { "kB" }
    /// Compressibility is minus the size: the axis says so, or a rising curve of
    /// negative numbers reads as files growing.
    public var axisLabel: String {
        direction == .compressibility ? "reward (−JPEG kB)" : "reward (JPEG kB)"
    }

    public func score(_ input: RewardInput) async throws -> RewardBatch {
        RewardBatch(rewards: try rewards(input.images))
    }

    /// The rewards, synchronously (the encoding is all the work there is).
    public func rewards(_ images: [RGBImage]) throws -> [Double] {
        let sign: Double = direction == .compressibility ? -1 : 1
        return try images.enumerated().map { index, image in
            let size: Int
            do {
                size = try image.jpegData(quality: Self.quality).count
            } catch {
                throw RewardError.imageEncoding(reward: name, index: index, message: "\(error)")
            }
            return sign * Double(size) / 1000
        }
    }
}
