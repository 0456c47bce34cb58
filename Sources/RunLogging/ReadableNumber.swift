import Foundation

/// Numbers and durations for people, the same in log lines and in the report:
/// about four significant digits (`-1.772`, `0.7917`, `2.1e-10`), not a double's
/// seventeen; metrics.jsonl and the JSON files keep the full values.
public enum ReadableNumber {
    /// NaN and infinities spelled out (a diverged run shows as such), otherwise
    /// `digits` significant digits, trailing zeros dropped.
    public static func text(_ value: Double, digits: Int = 4) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+∞" : "−∞" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e-4 && magnitude < 1e6 {
            // Fixed notation with `digits` significant digits, trailing zeros dropped.
            let decimals = max(0, digits - 1 - Int(floor(log10(magnitude))))
            var text = String(format: "%.\(decimals)f", value)
            if text.contains(".") {
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
            }
            return text
        }
        // Exponent notation, trailing zeros of the mantissa dropped: 2.5e-11, not 2.500e-11.
        let parts = String(format: "%.\(digits - 1)e", value).split(separator: "e")
        var mantissa = String(parts[0])
        if mantissa.contains(".") {
            while mantissa.hasSuffix("0") { mantissa.removeLast() }
            if mantissa.hasSuffix(".") { mantissa.removeLast() }
        }
        return mantissa + "e" + parts[1]
    }

    /// With a "+" when positive, for changes: "+0.25", "-0.25", "0".
    public static func signed(_ value: Double) -> String {
        guard value.isFinite else { return text(value) }
        return value > 0 ? "+" + text(value) : text(value)
    }

    /// Seconds as "12.3 s", "4 min 05 s" or "2 h 03 min"; "NaN" when not finite.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "NaN" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
        return String(format: "%d h %02d min", whole / 3600, (whole % 3600) / 60)
    }
}
