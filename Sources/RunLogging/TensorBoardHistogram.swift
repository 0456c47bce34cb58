/// The statistics and buckets of a TensorBoard histogram (`HistogramProto`).
///
/// Buckets are equal-width, like `tf.summary.histogram` (TF2) and `np.histogram`
/// with an integer bin count, not TF1's fixed exponential buckets (1e-12 · 1.1^k):
/// DDPO logs rewards, advantages and log-probability ratios whose range is known
/// only per batch, and equal-width buckets over [min, max] show them at full
/// resolution whatever their scale. TensorBoard re-bins for display anyway.
///
/// Bucket edges are e_i = min + i · (max − min) / n for i < n, and e_n = max
/// (numpy's `linspace`). Bucket i holds the values with e_i ≤ v < e_{i+1}; the last
/// bucket also holds v = max. `bucketLimits` are the right edges e_1 … e_n, which
/// is how HistogramProto reads: `bucket_limit[i]` is bucket i's right edge and
/// TensorBoard takes `min` as the first bucket's left edge.
///
/// Non-finite values (NaN, ±inf) are left out of every field, `count` included, so a
/// single NaN reward cannot make the whole histogram unreadable; the scalar means the
/// trainer logs beside it do show the NaN. With no finite values the histogram is
/// empty (all zeros, no buckets), which TensorBoard shows as an empty plot.
struct TensorBoardHistogram: Equatable {
    var min = 0.0
    var max = 0.0
    var count = 0.0
    var sum = 0.0
    var sumOfSquares = 0.0
    var bucketLimits: [Double] = []
    var bucketCounts: [Double] = []

    init(values: [Double], bucketCount: Int) {
        precondition(bucketCount >= 1, "TensorBoardHistogram: bucketCount must be at least 1, got \(bucketCount)")
        let finite = values.filter { $0.isFinite }
        guard let low = finite.min(), let high = finite.max() else { return }
        min = low
        max = high
        count = Double(finite.count)
        // Plain left-to-right sums, so the result does not depend on a library's
        // summation order.
        for value in finite {
            sum += value
            sumOfSquares += value * value
        }
        if low == high {
            bucketLimits = [high]
            bucketCounts = [count]
            return
        }
        let n = Double(bucketCount)
        // (high - low) overflows for ranges wider than Double.greatestFiniteMagnitude.
        let width = (high - low).isFinite ? (high - low) / n : high / n - low / n
        var edges = (0..<bucketCount).map { low + Double($0) * width }
        edges.append(high)
        bucketLimits = Array(edges.dropFirst())
        bucketCounts = [Double](repeating: 0, count: bucketCount)
        for value in finite {
            bucketCounts[Self.bucketIndex(of: value, edges: edges)] += 1
        }
    }

    /// The largest i < n with edges[i] ≤ value (binary search; edges[0] = min ≤ value).
    private static func bucketIndex(of value: Double, edges: [Double]) -> Int {
        var low = 0
        var high = edges.count - 2
        while low < high {
            let middle = (low + high + 1) / 2
            if edges[middle] <= value { low = middle } else { high = middle - 1 }
        }
        return low
    }
}
