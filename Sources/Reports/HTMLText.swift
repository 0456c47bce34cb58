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

    /// A number for people (`ReadableNumber.text`, as in the log lines); "–" for none.
    static func number(_ value: Double?, digits: Int = 4) -> String {
        value.map { ReadableNumber.text($0, digits: digits) } ?? "–"
    }

    /// A signed number, "+0.25" or "-0.25", for gains.
    static func signed(_ value: Double) -> String {
        ReadableNumber.signed(value)
    }

    /// Seconds as "12.3 s", "4 min 05 s" or "2 h 03 min" (`ReadableNumber.duration`); "–" for none.
    static func duration(_ seconds: Double?) -> String {
        seconds.map(ReadableNumber.duration) ?? "–"
    }
}
