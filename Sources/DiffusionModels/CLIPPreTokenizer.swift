import Foundation

/// Text normalisation and word splitting of CLIP's tokenizer.
enum CLIPPreTokenizer {
    /// NFC, each run of whitespace to one space, lower-case (per code point, no context rules).
    static func normalize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var inWhitespace = false
        for scalar in text.precomposedStringWithCanonicalMapping.unicodeScalars {
            if scalar.properties.isWhitespace {
                if !inWhitespace { out.append(" ") }
                inWhitespace = true
                continue
            }
            inWhitespace = false
            out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
        return String(out)
    }

    private static let contractions: [[Unicode.Scalar]] = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].map {
        Array($0.unicodeScalars)
    }

    /// The matches of CLIP's split pattern, in order; whitespace between them is dropped.
    static func words(in text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var words: [String] = []
        var i = 0
        func take(_ end: Int) {
            words.append(String(String.UnicodeScalarView(scalars[i..<end])))
            i = end
        }
        while i < scalars.count {
            if let match = contractions.first(where: { c in
                i + c.count <= scalars.count && zip(c, scalars[i..<(i + c.count)]).allSatisfy { $0 == $1 }
            }) {
                take(i + match.count)
            } else if isLetter(scalars[i]) {
                var end = i + 1
                while end < scalars.count && isLetter(scalars[end]) { end += 1 }
                take(end)
            } else if isNumber(scalars[i]) {
                take(i + 1)
            } else if scalars[i].properties.isWhitespace {
                i += 1
            } else {
                var end = i + 1
                while end < scalars.count && !isLetter(scalars[end]) && !isNumber(scalars[end])
                    && !scalars[end].properties.isWhitespace {
                    end += 1
                }
                take(end)
            }
        }
        return words
    }

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }
}

/// GPT-2/CLIP's reversible map from bytes to printable code points: printable
/// Latin-1 bytes map to themselves, the other 68 to U+0100 onwards, in order.
enum CLIPByteEncoder {
    static let table: [Unicode.Scalar] = {
        let printable = Set(Array(33...126) + Array(161...172) + Array(174...255))
        var next = 256
        return (0...255).map { byte in
            if printable.contains(byte) { return Unicode.Scalar(UInt32(byte))! }
            defer { next += 1 }
            return Unicode.Scalar(UInt32(next))!
        }
    }()

    /// The word's UTF-8 bytes as table symbols.
    static func encode(_ word: String) -> String {
        var out = String.UnicodeScalarView()
        for byte in word.utf8 { out.append(table[Int(byte)]) }
        return String(out)
    }
}

/// Special-token names and lengths from tokenizer_config.json / special_tokens_map.json.
struct TokenizerSettings {
    var startToken: String?
    var endToken: String?
    var paddingToken: String?
    var maxLength: Int?

    static func read(directory: URL) -> TokenizerSettings {
        var settings = TokenizerSettings()
        for file in ["tokenizer_config.json", "special_tokens_map.json"] {
            guard let data = try? Data(contentsOf: directory.appendingPathComponent(file)),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            // A token is either a string or an AddedToken object with "content".
            func token(_ key: String) -> String? {
                if let text = object[key] as? String { return text }
                return (object[key] as? [String: Any])?["content"] as? String
            }
            settings.startToken = token("bos_token") ?? settings.startToken
            settings.endToken = token("eos_token") ?? settings.endToken
            settings.paddingToken = token("pad_token") ?? settings.paddingToken
            if let length = object["model_max_length"] as? Int { settings.maxLength = length }
        }
        return settings
    }
}
