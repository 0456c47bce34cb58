import Foundation

/// Text normalisation and word splitting of CLIP's tokenizer, as transformers'
/// CLIPTokenizer configures the `tokenizers` library.
enum CLIPPreTokenizer {
    /// NFC, each run of whitespace to one space, lower-case (per code point, no context rules).
    ///
    /// Whitespace is Unicode's White_Space property, which is what the `\s` of the
    /// tokenizers library's regex matches (U+0085 yes, U+001C–U+001F and U+200B no).
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

    private static func scalars(_ texts: [String]) -> [[Unicode.Scalar]] {
        texts.map { Array($0.unicodeScalars) }
    }

    private static let contractions = scalars(["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"])
    /// CLIP's pattern names the special tokens first. They only matter here when
    /// lower-casing made one ("<|ENDOFTEXT|>"), since the real ones are split off
    /// before normalisation; such a piece is split again by the ByteLevel step.
    private static let specialTokenNames = scalars(["<|startoftext|>", "<|endoftext|>"])

    /// The words BPE sees, in order, for normalised text.
    ///
    /// Two splits run one after the other, as in transformers: CLIP's pattern
    /// `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+`
    /// (whitespace between matches dropped), then the GPT-2 pattern of the ByteLevel
    /// pre-tokenizer on each piece. On whitespace-free pieces the second split only
    /// changes a lower-cased special-token name: "<|endoftext|>" → "<|", "endoftext", "|>"
    /// (and so "<|ENDOFTEXT|>!!" ends in "|>", "!!", not "|>!!").
    static func words(in text: String) -> [String] {
        let clipPieces = matches(
            in: Array(text.unicodeScalars), literals: specialTokenNames + contractions,
            singleDigits: true)
        return clipPieces.flatMap { piece in
            matches(in: piece, literals: contractions, singleDigits: false)
        }.map { String(String.UnicodeScalarView($0)) }
    }

    /// The matches of `literals|\p{L}+|\p{N}(+)|[^\s\p{L}\p{N}]+`, leftmost first
    /// (the first alternative that matches at a position wins, as in the regex),
    /// skipping whitespace. `singleDigits`: `\p{N}` (CLIP) rather than `\p{N}+` (GPT-2).
    private static func matches(
        in scalars: [Unicode.Scalar], literals: [[Unicode.Scalar]],
        singleDigits: Bool
    ) -> [[Unicode.Scalar]] {
        var pieces: [[Unicode.Scalar]] = []
        var start = 0
        func run(while belongs: (Unicode.Scalar) -> Bool) -> Int {
            var end = start + 1
            while end < scalars.count && belongs(scalars[end]) { end += 1 }
            return end
        }
        while start < scalars.count {
            let scalar = scalars[start]
            let end: Int
            if let literal = literals.first(where: { scalars[start...].starts(with: $0) }) {
                end = start + literal.count
            } else if isLetter(scalar) {
                end = run(while: isLetter)
            } else if isNumber(scalar) {
                end = singleDigits ? start + 1 : run(while: isNumber)
            } else if scalar.properties.isWhitespace {
                start += 1
                continue
            } else {
                end = run { !isLetter($0) && !isNumber($0) && !$0.properties.isWhitespace }
            }
            pieces.append(Array(scalars[start..<end]))
            start = end
        }
        return pieces
    }

    /// `\p{L}`: the letter categories Lu, Ll, Lt, Lm, Lo.
    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `\p{N}`: the number categories Nd, Nl, No.
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
