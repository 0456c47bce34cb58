import DiffusionModels
import Foundation
import Torch

/// A CLIP-format BPE tokenizer whose merges build each vocabulary word from its
/// bytes, so every word of the world encodes to exactly one token and the text
/// encoder's embedding table stays small. transformers' CLIPTokenizer and ours
/// read the folder as they would read OpenAI's.
public struct WordTokenizerFolder {
    public static let startToken = "<|startoftext|>"
    public static let endToken = "<|endoftext|>"

    /// Token → id, in CLIP's order: byte symbols, their `</w>` forms, merge results,
    /// start token, end token.
    public let vocabulary: [String: Int]
    public let merges: [(String, String)]

    /// Builds merges for `words` (lower-case letters; duplicates ignored).
    public init(words: [String]) throws {
        let bytes = Self.byteSymbols()
        var order = bytes + bytes.map { $0 + "</w>" }
        var vocabulary = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($0.element, $0.offset) })
        var merges: [(String, String)] = []
        for word in Set(words.map { $0.lowercased() }).sorted() {
            // Merges appended later rank after all earlier ones, so they never change
            // how an earlier word splits; repeat until this word is a single token.
            for _ in 0..<64 {
                let pieces = try Self.split(word, vocabulary: vocabulary, merges: merges)
                if pieces.count == 1 { break }
                var left = pieces[0]
                for right in pieces.dropFirst() {
                    merges.append((left, right))
                    left += right
                    if vocabulary[left] == nil {
                        vocabulary[left] = order.count
                        order.append(left)
                    }
                }
            }
            guard try Self.split(word, vocabulary: vocabulary, merges: merges).count == 1 else {
                throw PretrainingError(message: "cannot build '\(word)' as one token")
            }
        }
        vocabulary[Self.startToken] = order.count
        vocabulary[Self.endToken] = order.count + 1
        self.vocabulary = vocabulary
        self.merges = merges
    }

    /// The tokenizer these files describe.
    public func tokenizer() throws -> CLIPTokenizer {
        try CLIPTokenizer(vocabulary: vocabulary, merges: merges)
    }

    /// Writes vocab.json, merges.txt, special_tokens_map.json and tokenizer_config.json.
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try JSONFile.writeVocabulary(vocabulary, to: directory.appendingPathComponent("vocab.json"))
        // transformers skips the first line of merges.txt unconditionally.
        let lines = ["#version: 0.2"] + merges.map { "\($0.0) \($0.1)" }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: directory.appendingPathComponent("merges.txt"))
        let special = [
            "bos_token": Self.startToken, "eos_token": Self.endToken, "pad_token": Self.endToken,
            "unk_token": Self.endToken
        ]
        try JSONFile.write(special, to: directory.appendingPathComponent("special_tokens_map.json"))
        var config: [String: Any] = special
        config["model_max_length"] = 77
        config["tokenizer_class"] = "CLIPTokenizer"
        config["do_lower_case"] = true
        try JSONFile.write(config, to: directory.appendingPathComponent("tokenizer_config.json"))
    }

    /// The current BPE split of `word` under these merges, as token strings.
    static func split(_ word: String, vocabulary: [String: Int], merges: [(String, String)]) throws -> [String] {
        var withSpecials = vocabulary
        withSpecials[startToken] = vocabulary.count
        withSpecials[endToken] = vocabulary.count + 1
        let tokenizer = try CLIPTokenizer(vocabulary: withSpecials, merges: merges)
        let names = Dictionary(uniqueKeysWithValues: withSpecials.map { ($0.value, $0.key) })
        return tokenizer.tokenize(word).map { names[$0]! }
    }

    /// CLIP's 256 byte symbols in its order: printable Latin-1 bytes stand for
    /// themselves, the rest map to code points from 256 up, so no byte is whitespace
    /// or a control character.
    static func byteSymbols() -> [String] {
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        var symbols = printable.map { String(Character(Unicode.Scalar(UInt32($0))!)) }
        var next = 256
        for byte in 0..<256 where !printable.contains(byte) {
            symbols.append(String(Character(Unicode.Scalar(UInt32(next))!)))
            next += 1
        }
        return symbols
    }
}
