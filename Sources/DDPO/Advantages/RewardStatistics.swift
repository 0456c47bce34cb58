/// Count, mean and population standard deviation of a set of rewards, computed the
/// way numpy's `np.mean` / `np.std` (ddof 0) do: first the mean, then the mean of
/// the squared deviations from it. ddpo-pytorch normalises with these numpy
/// statistics, so the population std (divide by n, not n - 1) is part of the
/// advantage's definition (docs/algorithm.md §5).
public struct RewardStatistics: Equatable, Codable, Sendable {
    public var count: Int
    public var mean: Double
    /// Population standard deviation (ddof 0).
    public var std: Double

    public init(count: Int, mean: Double, std: Double) {
        self.count = count
        self.mean = mean
        self.std = std
    }

    /// The statistics of `values`; traps on an empty collection (a mean of nothing
    /// is a programmer error here: every caller has at least one reward).
    public init<Values: Collection>(of values: Values) where Values.Element == Double {
        precondition(!values.isEmpty, "RewardStatistics: no values")
        let count = values.count
        let mean = values.reduce(0, +) / Double(count)
        // Two passes (not E[x²] - E[x]²) so that nearly equal rewards do not lose
        // their spread to cancellation.
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count)
        self.init(count: count, mean: mean, std: variance.squareRoot())
    }
}
