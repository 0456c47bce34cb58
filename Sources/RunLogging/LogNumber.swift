/// Numbers in log lines: four significant digits (`-1.772`, `0.7917`, `2.1e-04`),
/// not a double's seventeen; metrics.jsonl keeps the full values.
public enum LogNumber {
    public static func text(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        return String(format: "%.4g", value)
    }

    /// With its sign, "+0.191" or "-0.04": for changes.
    public static func signed(_ value: Double) -> String {
        (value >= 0 ? "+" : "") + text(value)
    }
}
