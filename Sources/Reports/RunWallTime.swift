import Foundation

/// How long a run took on the clock: from each start of the trainer to the last
/// record it wrote before the next start (a metrics line or an evaluation file),
/// summed over the starts. Unlike the phases summed over epochs it includes model
/// loading, the evaluations, the monitors and checkpoints; the time between a stop
/// and a resume is left out, the time a crashed start spent after its last record
/// too (nothing shows how long it went on).
struct RunWallTime: Equatable {
    var seconds: Double
    /// Starts that wrote a record.
    var starts: Int

    /// `starts` and `recordTimes` in seconds since 1970; nil when no record follows a start.
    init?(starts: [Double], recordTimes: [Double]) {
        let starts = starts.sorted()
        var total = 0.0
        var counted = 0
        for (index, start) in starts.enumerated() {
            let next = index + 1 < starts.count ? starts[index + 1] : .infinity
            guard let end = recordTimes.filter({ $0 >= start && $0 < next }).max() else { continue }
            total += end - start
            counted += 1
        }
        guard counted > 0 else { return nil }
        seconds = total
        self.starts = counted
    }
}
