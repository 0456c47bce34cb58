/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast generator whose output is a
/// pure function of its state, and its mixing function, which the run's seeds,
/// prompt draws, scenes and pretraining items hash their coordinates with. Written
/// out (not Swift's `random(in:)`, whose method may change) so that every draw stays
/// the same across Swift versions and platforms.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The increment of the state (2^64 / golden ratio).
    public static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The output function: a bijection of UInt64 that spreads neighbouring inputs apart.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// A state for item `index` of `seed` (a scene of the shapes world): two mixing rounds, so neighbouring
    /// indices and neighbouring seeds give unrelated streams.
    public init(seed: UInt64, index: Int) {
        var mixer = SplitMix64(seed: seed)
        let first = mixer.next()
        var second = SplitMix64(seed: first ^ UInt64(bitPattern: Int64(index)))
        state = second.next()
    }

    public mutating func next() -> UInt64 {
        state &+= Self.gamma
        return Self.mix(state)
    }

    /// A uniform Double in [low, high), from the top 53 bits (exactly reproducible,
    /// unlike the standard library's `Double.random(in:using:)`, whose algorithm
    /// is not promised to stay the same across releases).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        let unit = Double(next() >> 11) * 0x1p-53
        return low + (high - low) * unit
    }

    /// A uniform integer in 0..<n, by multiply-shift (bias below 2⁻⁵⁰ for small n).
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "SplitMix64.below: n must be positive")
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }
}
