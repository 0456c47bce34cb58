import DDPO
import Foundation
import RunLogging

/// One axis of a chart: a range that covers the data, widened to round numbers,
/// and the tick values inside it (steps of 1, 2 or 5 times a power of ten, so
/// labels read 0.02, 0.04, … rather than 0.0173, 0.0346, …).
struct ChartAxis: Equatable {
    var lower: Double
    var upper: Double
    var ticks: [Double]

    /// `values` are the finite data values (others are ignored). `integers` keeps
    /// ticks on whole numbers (epochs). An empty or single-valued range is widened
    /// so the data sits in the middle instead of on an edge (or dividing by zero).
    init(covering values: [Double], targetTicks: Int = 5, integers: Bool = false) {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0
        var high = finite.max() ?? 1
        if low == high {
            if low == 0 && !integers {
                high = 1  // constant zero (clipfrac, often): a 0…1 axis, nothing below zero
            } else {
                let pad = integers ? 1 : abs(low) * 0.1
                low -= pad
                high += pad
            }
        }
        var step = Self.niceStep((high - low) / Double(max(1, targetTicks)))
        if integers { step = max(1, step.rounded(.up)) }
        lower = (low / step).rounded(.down) * step
        upper = (high / step).rounded(.up) * step
        var ticks: [Double] = []
        var index = 0.0
        while true {
            var tick = lower + index * step
            if tick > upper + step * 1e-9 { break }
            if abs(tick) < step * 1e-9 { tick = 0 }  // 1e-17 from rounding is 0
            ticks.append(tick)
            index += 1
        }
        self.ticks = ticks
    }

    /// The smallest of 1, 2, 5 (× a power of ten) at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        let normalized = raw / magnitude
        let nice: Double = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// Maps `value` from this axis linearly onto `start...end` (screen coordinates;
    /// `end` may be smaller than `start`, as a y axis runs upwards).
    func position(_ value: Double, from start: Double, to end: Double) -> Double {
        start + (value - lower) / (upper - lower) * (end - start)
    }

    /// A short tick label: three significant digits, exponent only when needed.
    static func label(_ value: Double) -> String {
        // Whole numbers up to a million in full (1024 samples, not 1.02e+03).
        if value.isFinite && value == value.rounded() && abs(value) < 1e6 { return String(Int(value)) }
        return String(format: "%.3g", value)
    }
}
