/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast generator whose output is a
/// pure function of its state. Scenes hash (seed, index) into a starting state, so
/// any scene can be made on its own, in any order, on any thread.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// A state for scene `index` of `seed`: two mixing rounds, so neighbouring
    /// indices and neighbouring seeds give unrelated streams.
    init(seed: UInt64, index: Int) {
        var mixer = SplitMix64(seed: seed)
        let first = mixer.next()
        var second = SplitMix64(seed: first ^ UInt64(bitPattern: Int64(index)))
        state = second.next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Double in [low, high), from the top 53 bits (exactly reproducible,
    /// unlike the standard library's `Double.random(in:using:)`, whose algorithm
    /// is not promised to stay the same across releases).
    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        let unit = Double(next() >> 11) * 0x1p-53
        return low + (high - low) * unit
    }

    /// A uniform integer in 0..<n, by multiply-shift (bias below 2⁻⁵⁰ for small n).
    mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "SplitMix64.below: n must be positive")
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }
}
