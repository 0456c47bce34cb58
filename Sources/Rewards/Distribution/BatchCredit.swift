/// How a distribution-level reward turns its batch value V(B) into one reward per
/// sample (docs/distribution-rewards.md). Shared by `diversity` and `parity`.
///
/// A distribution-level reward scores the whole sampling batch (the `batch_size`
/// images of one `score` call), but DDPO's objectives need a reward per trajectory.
public enum BatchCredit: String, CaseIterable, Sendable {
    /// The jackknife pseudo-value r_i = n·V(B) − (n−1)·V(B∖{i}) = V(B) + (n−1)·(V(B) − V(B∖{i})):
    /// the sample's marginal contribution V(B) − V(B∖{i}), put back on V's scale.
    ///
    /// Why the pseudo-value rather than the bare difference: the difference shrinks
    /// like 1/n (one image of 32 moves a batch mean little), while the pseudo-value
    /// of a V that is a mean of per-image values v_j is exactly v_i, and the mean of
    /// the r_i is the jackknife estimate of V. Within one batch the two differ only by
    /// a positive scale (n−1) and a shift V(B), so batch-, group- and per-prompt
    /// standardisation over a single batch give the same advantages for both.
    case leaveOneOut = "leave_one_out"
    /// r_i = V(B) for every sample. Identical rewards within a batch carry no signal
    /// inside it: standardisation over that batch gives them all advantage 0, so this
    /// only teaches anything across sampling batches (per-prompt statistics or
    /// batch standardisation over several sampling batches per epoch).
    case shared = "shared"

    /// The option every distribution-level reward takes to choose the credit.
    public static let optionName = "credit"

    /// Reads `credit` (default `leave_one_out`); an unknown value names the option.
    public init(options: RewardOptions) throws {
        let name = try options.choice(
            Self.optionName, Self.allCases.map(\.rawValue),
            default: BatchCredit.leaveOneOut.rawValue)
        self = BatchCredit(rawValue: name)!
    }

    /// V(B) and the per-sample rewards of a batch of `count` samples; `value` is V of
    /// the samples at the given indices (it is called with all indices and, under
    /// `leave_one_out`, with each leave-one-out subset).
    public func rewards(count: Int, value: ([Int]) -> Double) -> (batchValue: Double, rewards: [Double]) {
        let all = Array(0..<count)
        let whole = value(all)
        switch self {
        case .shared:
            return (whole, Array(repeating: whole, count: count))
        case .leaveOneOut:
            let n = Double(count)
            let rewards = all.map { i in
                n * whole - (n - 1) * value(all.filter { $0 != i })
            }
            return (whole, rewards)
        }
    }
}
