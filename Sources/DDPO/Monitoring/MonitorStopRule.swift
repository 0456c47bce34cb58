/// The early-stop rule of the over-optimisation monitors: stop once the held-out
/// reward has fallen (strictly lower than at the previous monitor evaluation)
/// `falls` evaluations in a row. A rising or equal value ends the streak.
/// Non-finite values are skipped (compared neither way): a reward that failed to
/// compute says nothing about over-optimisation.
public struct MonitorStopRule: Equatable, Sendable {
    /// K; 0 never stops.
    public var falls: Int

    public init(falls: Int) {
        self.falls = falls
    }

    /// The falls in a row at the end of `values` (in epoch order).
    public static func fallsInARow(_ values: [Double]) -> Int {
        var streak = 0
        var previous: Double?
        for value in values where value.isFinite {
            if let previous { streak = value < previous ? streak + 1 : 0 }
            previous = value
        }
        return streak
    }

    /// Whether the run should stop after these held-out rewards (in epoch order).
    public func shouldStop(after values: [Double]) -> Bool {
        falls > 0 && Self.fallsInARow(values) >= falls
    }

    /// The first epoch whose monitor evaluation triggers the stop, given
    /// (epoch, held-out reward) in epoch order; nil when the rule never fires.
    public func stopEpoch(_ readings: [(epoch: Int, value: Double)]) -> Int? {
        readings.indices.first { shouldStop(after: readings[...$0].map(\.value)) }.map { readings[$0].epoch }
    }
}
