import DDPO
import Foundation
import RunLogging

/// One axis of a chart: a range that covers the data, widened to round numbers,
/// and the tick values inside it (steps of 1, 2 or 5 times a power of ten, so
/// labels read 0.02, 0.04, … rather than 0.0173, 0.0346, …). A logarithmic axis
/// (`init(logCovering:)`) runs from one power of ten to another, ticked at powers of ten.
struct ChartAxis: Equatable {
    var lower: Double
    var upper: Double
    var ticks: [Double]
    var isLogarithmic = false

    /// Positive values spanning more than this ratio (two decades) are drawn on a
    /// log axis: approx_kl often falls from 1e-2 in the first epoch to 1e-5, and a
    /// linear axis then shows one spike and a flat line.
    static let logScaleRatio = 100.0

    /// Whether `values` (the finite ones) call for a log axis: none negative, at least
    /// two positive, the largest over the smallest positive beyond `logScaleRatio`.
    /// Zeros are allowed (drawn on the axis's floor): a KL is exactly 0 before training.
    static func prefersLogScale(_ values: [Double]) -> Bool {
        let finite = values.filter(\.isFinite)
        let positive = finite.filter { $0 > 0 }
        guard finite.allSatisfy({ $0 >= 0 }), positive.count >= 2, let low = positive.min(), let high = positive.max()
        else { return false }
        return high / low > logScaleRatio
    }

    /// A log axis over the positive finite `values` (others ignored), from the power of
    /// ten at or below the smallest to the one at or above the largest, a tick at each
    /// power of ten (every second or third one when there are many).
    init(logCovering values: [Double], targetTicks: Int = 6) {
        let positive = values.filter { $0.isFinite && $0 > 0 }
        var low = floor(log10(positive.min() ?? 0.1))
        var high = ceil(log10(positive.max() ?? 10))
        if low == high {
            low -= 1
            high += 1
        }
        lower = pow(10, low)
        upper = pow(10, high)
        let decades = Int(high - low)
        let stride = max(1, (decades + targetTicks - 1) / max(1, targetTicks))
        ticks = Swift.stride(from: 0, through: decades, by: stride).map { pow(10, low + Double($0)) }
        isLogarithmic = true
    }

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
    /// On a log axis a value at or below zero (the lower edge of a ± band) goes to the lower edge.
    func position(_ value: Double, from start: Double, to end: Double) -> Double {
        guard isLogarithmic else { return start + (value - lower) / (upper - lower) * (end - start) }
        let clamped = max(value, lower)
        return start + (log10(clamped) - log10(lower)) / (log10(upper) - log10(lower)) * (end - start)
    }

    /// A short tick label: three significant digits, exponent only when needed.
    static func label(_ value: Double) -> String {
        // Whole numbers up to a million in full (1024 samples, not 1.02e+03).
        if value.isFinite && value == value.rounded() && abs(value) < 1e6 { return String(Int(value)) }
        return String(format: "%.3g", value)
    }
}
