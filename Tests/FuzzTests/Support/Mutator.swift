import Torch

/// Byte-level mutations of a valid input, aimed at text formats (JSON, YAML, merges.txt) but blind enough
/// for binary ones: bit flips, byte edits, insertions, deletions, truncation, numbers replaced by extremes,
/// values replaced by other types, deep nesting, huge strings, duplicated lines (duplicated keys) and
/// splices of another input. Every choice is drawn from `generator`, so a case is a function of the seed.
enum Mutator {
    /// Numbers that sit on a boundary somewhere: signs, zero, Int32/Int64/UInt64 limits, denormals,
    /// overflowing exponents, and the spellings of NaN and infinity in JSON5, Python and YAML.
    static let extremeNumbers = [
        "-1", "0", "1", "2", "-0", "0.5", "1e308", "-1e308", "1e309", "5e-324", "1e-320", "NaN", "-NaN",
        "Infinity", "-Infinity", "nan", "inf", ".nan", ".inf", "-.inf", "2147483647", "2147483648",
        "-2147483649", "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "18446744073709551615", "18446744073709551616", "100000000000000000000000",
        "65536", "65537", "1024", "1025", "100001", "77", "78", "1e3", "0x10", "1_000", "01", "1.0", "3.5",
        "999999999999", "4611686018427387904"
    ]

    /// Values of other types, for a field that expects a number, a string or a list.
    static let otherValues = [
        "null", "true", "false", "\"\"", "\"x\"", "[]", "{}", "[1, 2, 3]", "[null]", "{\"a\": 1}", "[[]]",
        "\"<|endoftext|>\"", "~", "[-1]", "[1e308, -1]", "\"\\u0000\"", "\"\\ud800\"", "'", "&a", "*a", "!!binary",
        "? a", "- a", "|", ">"
    ]

    /// Bytes that end or start a structure in JSON, YAML or merges.txt.
    static let interestingBytes: [UInt8] =
        Array("{}[]\":,\n -.0123456789eE\\' \t#&*!|>?%@`".utf8) + [
            0x00, 0x7F, 0x80, 0xC0, 0xFF, 0xFE, 0xEF, 0xBB, 0xBF, 0x0D
        ]

    static func mutate(_ input: [UInt8], donor: [UInt8], generator: inout SplitMix64) -> [UInt8] {
        var bytes = input
        let rounds = 1 + generator.below(4)
        for _ in 0..<rounds {
            mutateOnce(&bytes, donor: donor, generator: &generator)
        }
        return bytes
    }

    private static func mutateOnce(_ bytes: inout [UInt8], donor: [UInt8], generator: inout SplitMix64) {
        func position(_ count: Int) -> Int { generator.below(count + 1) }
        switch generator.below(16) {
        case 0 where !bytes.isEmpty:
            let index = generator.below(bytes.count)
            bytes[index] ^= 1 << UInt8(generator.below(8))
        case 1 where !bytes.isEmpty:
            bytes[generator.below(bytes.count)] = interestingBytes[generator.below(interestingBytes.count)]
        case 2:
            let inserted = (0..<(1 + generator.below(8))).map { _ in
                generator.below(2) == 0
                    ? interestingBytes[generator.below(interestingBytes.count)]
                    : UInt8(truncatingIfNeeded: generator.next())
            }
            bytes.insert(contentsOf: inserted, at: position(bytes.count))
        case 3 where !bytes.isEmpty:
            let start = generator.below(bytes.count)
            let length = 1 + generator.below(min(bytes.count - start, generator.below(2) == 0 ? 4 : 256))
            bytes.removeSubrange(start..<(start + length))
        case 4:
            bytes.removeSubrange(position(bytes.count)...)
        case 5 where !bytes.isEmpty:
            let start = generator.below(bytes.count)
            let length = 1 + generator.below(min(bytes.count - start, 512))
            let chunk = Array(bytes[start..<(start + length)])
            bytes.insert(contentsOf: chunk, at: position(bytes.count))
        case 6, 7:
            replaceNumber(&bytes, generator: &generator)
        case 8:
            replaceValue(&bytes, generator: &generator)
        case 9:
            let depth = [8, 64, 512, 4096, 20_000][generator.below(5)]
            let opener = ["[", "{\"a\":", "- ", "a:\n ", "[{"][generator.below(5)]
            let closer = generator.below(2) == 0 ? String(repeating: "]", count: depth) : ""
            let nest = Array((String(repeating: opener, count: depth) + "1" + closer).utf8)
            bytes.insert(contentsOf: nest, at: position(bytes.count))
        case 10:
            let length = [16, 1000, 10_000, 100_000][generator.below(4)]
            let text = String(repeating: ["a", "é", "\\u00e9", "<|endoftext|>", " "][generator.below(5)], count: length)
            bytes.insert(contentsOf: Array(text.utf8), at: position(bytes.count))
        case 11, 12:
            duplicateLine(&bytes, generator: &generator)
        case 13 where !donor.isEmpty:
            let start = generator.below(donor.count)
            let length = 1 + generator.below(min(donor.count - start, 1024))
            let at = position(bytes.count)
            let end = min(bytes.count, at + generator.below(64))
            bytes.replaceSubrange(at..<end, with: donor[start..<(start + length)])
        case 14:
            let value = otherValues[generator.below(otherValues.count)]
            bytes.insert(contentsOf: Array(value.utf8), at: position(bytes.count))
        default:
            replaceNumber(&bytes, generator: &generator)
        }
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+")
    }

    /// A run of digits (with its sign, point and exponent) replaced by an extreme number.
    private static func replaceNumber(_ bytes: inout [UInt8], generator: inout SplitMix64) {
        let digits = bytes.indices.filter { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }
        guard !digits.isEmpty else { return }
        var start = digits[generator.below(digits.count)]
        var end = start + 1
        while start > 0 && isNumberByte(bytes[start - 1]) { start -= 1 }
        while end < bytes.count && isNumberByte(bytes[end]) { end += 1 }
        let replacement = extremeNumbers[generator.below(extremeNumbers.count)]
        bytes.replaceSubrange(start..<end, with: Array(replacement.utf8))
    }

    /// The value after a ':' (JSON or YAML), up to the next ',', '}', ']' or line end, replaced by one of
    /// another type (or an extreme number).
    private static func replaceValue(_ bytes: inout [UInt8], generator: inout SplitMix64) {
        let colons = bytes.indices.filter { bytes[$0] == UInt8(ascii: ":") }
        guard !colons.isEmpty else { return }
        var start = colons[generator.below(colons.count)] + 1
        while start < bytes.count && bytes[start] == UInt8(ascii: " ") { start += 1 }
        var end = start
        let stops: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: "\n")]
        while end < bytes.count && !stops.contains(bytes[end]) { end += 1 }
        let values = otherValues + extremeNumbers
        bytes.replaceSubrange(start..<end, with: Array(values[generator.below(values.count)].utf8))
    }

    /// A line repeated (a duplicated key in JSON or YAML), or moved elsewhere.
    private static func duplicateLine(_ bytes: inout [UInt8], generator: inout SplitMix64) {
        let newline = UInt8(ascii: "\n")
        let starts = [0] + bytes.indices.filter { bytes[$0] == newline }.map { $0 + 1 }
        let start = starts[generator.below(starts.count)]
        guard start < bytes.count else { return }
        let end = bytes[start...].firstIndex(of: newline).map { $0 + 1 } ?? bytes.count
        let line = Array(bytes[start..<end])
        let target = starts[generator.below(starts.count)]
        if generator.below(4) == 0 {
            bytes.removeSubrange(start..<end)
            bytes.insert(contentsOf: line, at: min(target, bytes.count))
        } else {
            bytes.insert(contentsOf: line, at: min(target, bytes.count))
        }
    }
}
