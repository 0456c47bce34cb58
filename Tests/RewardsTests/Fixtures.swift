import Foundation
import ImageCodecs
import Rewards
import Torch

/// Tests/Fixtures/images.safetensors (scripts/golden/images.py): images and the
/// byte size PIL gives each as JPEG at quality 95.
enum Fixtures {
    static let names = ["noise_16", "noise_odd", "gradient_64", "shapes_32"]

    static let tensors: [String: Tensor] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/images.safetensors")
        return (try? Safetensors.load(url)) ?? [:]
    }()

    static func image(_ name: String) -> RGBImage {
        guard let pixels = tensors["\(name).pixels"] else { fatalError("missing fixture \(name).pixels") }
        return RGBImage(width: pixels.size(1), height: pixels.size(0), pixels: pixels.toArray(UInt8.self))
    }

    /// PIL's JPEG size at quality 95, in bytes.
    static func jpegSize(_ name: String) -> Int {
        guard let size = tensors["\(name).jpeg95_size"] else { fatalError("missing fixture \(name).jpeg95_size") }
        return size.itemInt()
    }

    /// All fixture images with made-up prompts.
    static func input(metadata: [[String: String]]? = nil) -> RewardInput {
        RewardInput(images: names.map(image), prompts: names.map { "a picture of \($0)" }, metadata: metadata)
    }
}

/// A reward that returns fixed values, to test what wraps rewards.
struct FixedReward: Reward {
    var values: [Double]
    var info: [[String: Double]]? = nil
    var name: String { "fixed" }
    var usesLibtorch: Bool { false }

    func score(_ input: RewardInput) async throws -> RewardBatch {
        RewardBatch(rewards: values, info: info)
    }
}
