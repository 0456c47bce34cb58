import DDPO
import Foundation
import RunLogging

/// Text and data made safe to put inside an HTML (or inline SVG) document.
enum HTMLText {
    /// Escapes the five characters that can end a text node or an attribute value,
    /// so a prompt or a configuration containing `<script>` stays text.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// A `data:` URI holding `bytes`: the report embeds its images so the one file
    /// opens anywhere, offline, with nothing beside it.
    static func dataURI(mediaType: String, bytes: [UInt8]) -> String {
        "data:\(mediaType);base64,\(Data(bytes).base64EncodedString())"
    }

    /// A number for people: NaN and infinities spelled out (a diverged run shows
    /// as such), otherwise about four significant digits.
    static func number(_ value: Double?, digits: Int = 4) -> String {
        guard let value else { return "–" }
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

    /// A signed number, "+0.25" or "−0.25", for gains.
    static func signed(_ value: Double) -> String {
        guard value.isFinite else { return number(value) }
        return value > 0 ? "+" + number(value) : number(value)
    }

    /// Seconds as "12.3 s", "4 min 05 s" or "2 h 03 min".
    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return seconds == nil ? "–" : "NaN" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
        return String(format: "%d h %02d min", whole / 3600, (whole % 3600) / 60)
    }
}
