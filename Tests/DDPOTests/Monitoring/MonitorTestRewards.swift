import Foundation
import ImageCodecs
import Rewards

/// Stand-in rewards for the monitor tests (the standard registry gets its
/// distribution-level `diversity` reward from another branch).
enum MonitorTestRewards {
    /// An image's mean pixel value in [0, 1].
    static func brightness(_ image: RGBImage) -> Double {
        Double(image.pixels.reduce(0) { $0 + Int($1) }) / Double(image.pixels.count) / 255
    }

    /// Per image: its brightness; info `dark` = 1 − brightness.
    struct Brightness: Reward {
        var name: String { "brightness" }
        var usesLibtorch: Bool { false }
        func score(_ input: RewardInput) async throws -> RewardBatch {
            let values = input.images.map(MonitorTestRewards.brightness)
            return RewardBatch(rewards: values, info: values.map { ["dark": 1 - $0] })
        }
    }

    /// Distribution-level: the batch value is the population standard deviation of
    /// the images' brightness (how different they are); each image gets its
    /// distance from the batch mean.
    struct BrightnessSpread: Reward {
        var name: String { "brightness_spread" }
        var usesLibtorch: Bool { false }
        func score(_ input: RewardInput) async throws -> RewardBatch {
            let values = input.images.map(MonitorTestRewards.brightness)
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            return RewardBatch(rewards: values.map { abs($0 - mean) }, batchValue: variance.squareRoot())
        }
    }

    /// Lower at every call: call n gives −n + 0.01 × brightness, so each monitor
    /// evaluation's mean is below the one before whatever the images.
    final class Falling: Reward, @unchecked Sendable {
        private let lock = NSLock()
        private var calls = 0
        var name: String { "falling" }
        var usesLibtorch: Bool { false }
        func score(_ input: RewardInput) async throws -> RewardBatch {
            let n = lock.withLock {
                calls += 1
                return calls
            }
            return RewardBatch(rewards: input.images.map { -Double(n) + 0.01 * MonitorTestRewards.brightness($0) })
        }
    }

    /// The standard rewards plus these three.
    static var registry: RewardRegistry {
        var registry = RewardRegistry.standard
        registry.register("brightness", options: []) { _ in Brightness() }
        registry.register("brightness_spread", options: []) { _ in BrightnessSpread() }
        registry.register("falling", options: []) { _ in Falling() }
        return registry
    }
}
