import Torch

/// The random numbers behind prompt draws: SplitMix64 (Steele, Lea & Flood 2014),
/// started from a state derived from (seed, epoch, draw index) alone.
///
/// Why not a running generator: a prompt must be a pure function of where it is
/// drawn, so a resumed run draws exactly the prompts the uninterrupted run would
/// have drawn, with no generator state to save, and a batch's prompts do not
/// depend on how many were drawn before it. The algorithm is written out here
/// (not Swift's `random(in:)`, whose method the standard library may change) so
/// that the draws stay the same across Swift versions and platforms.
public struct PromptRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    private static let gamma = SplitMix64.gamma

    /// The generator for draw `draw` (≥ 0) of epoch `epoch` (≥ 0) of a run seeded
    /// with `seed`. Each input is folded in through the mixing function, so
    /// neighbouring epochs or draws give unrelated streams.
    public init(seed: UInt64, epoch: Int, draw: Int) {
        precondition(epoch >= 0 && draw >= 0, "PromptRandom: epoch and draw must be >= 0, got \(epoch), \(draw)")
        var state = Self.mix(seed &+ Self.gamma)
        state = Self.mix(state ^ (UInt64(epoch) &+ Self.gamma))
        state = Self.mix(state ^ (UInt64(draw) &+ Self.gamma))
        self.state = state
    }

    private static func mix(_ value: UInt64) -> UInt64 { SplitMix64.mix(value) }

    public mutating func next() -> UInt64 {
        state &+= Self.gamma
        return Self.mix(state)
    }

    /// A uniform integer in 0..<count, by rejection: values below 2^64 mod count
    /// are redrawn so that every result is exactly equally likely.
    public mutating func index(below count: Int) -> Int {
        precondition(count > 0, "PromptRandom.index(below:): count must be positive, got \(count)")
        let bound = UInt64(count)
        let threshold = (0 &- bound) % bound
        while true {
            let value = next()
            if value >= threshold { return Int(value % bound) }
        }
    }

    /// A uniformly chosen element of a non-empty array.
    public mutating func element<T>(of values: [T]) -> T {
        values[index(below: values.count)]
    }
}
