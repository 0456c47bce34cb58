import Foundation
import Torch

/// CLIP's byte-level BPE tokenizer, reading a diffusers `tokenizer/` folder
/// (vocab.json and merges.txt or tokenizer.json, special_tokens_map.json,
/// tokenizer_config.json).
///
/// It reproduces transformers' CLIPTokenizer (tokenizers backend): special and
/// added tokens (start, end, padding, unknown) matched verbatim in the raw text
/// first, longest first at the leftmost position; in the text between them NFC,
/// runs of whitespace to one space, lower-casing; CLIP's split pattern, then
/// ByteLevel's (see `CLIPPreTokenizer.words`); bytes mapped through CLIP's
/// byte-to-unicode table; BPE with `</w>` on each word's last symbol; start and
/// end tokens around the ids.
///
/// SD 2.x pads with "!", which is then a special token: every "!" in a prompt
/// becomes that id rather than a BPE word, exactly as in transformers.
public struct CLIPTokenizer: Sendable {
    public let vocabulary: [String: Int]
    public let startTokenID: Int
    public let endTokenID: Int
    public let paddingTokenID: Int
    /// The id of symbols the vocabulary lacks (none do in a real CLIP vocabulary).
    public let unknownTokenID: Int
    /// Sequence length after padding/truncation (77 for Stable Diffusion).
    public let maxLength: Int
    private let mergeRanks: [SymbolPair: Int]
    /// Tokens matched verbatim before normalisation, as unicode scalars, longest first.
    private let specialTokens: [(scalars: [Unicode.Scalar], id: Int)]

    struct SymbolPair: Hashable, Sendable {
        var left: String
        var right: String
    }

    /// `addedTokens` (token → id) are matched verbatim like the special tokens;
    /// their ids take precedence over the vocabulary's, as in transformers.
    public init(
        vocabulary: [String: Int], merges: [(String, String)], startToken: String = "<|startoftext|>",
        endToken: String = "<|endoftext|>", paddingToken: String = "<|endoftext|>",
        unknownToken: String = "<|endoftext|>", addedTokens: [String: Int] = [:], maxLength: Int = 77
    ) throws {
        func id(_ token: String, _ role: String) throws -> Int {
            guard let id = addedTokens[token] ?? vocabulary[token] else {
                throw TokenizerError(message: "the \(role) token '\(token)' is not in the vocabulary")
            }
            return id
        }
        guard maxLength >= 2 else {
            throw TokenizerError(message: "maxLength must be at least 2 (the start and end tokens), got \(maxLength)")
        }
        self.vocabulary = vocabulary
        startTokenID = try id(startToken, "start")
        endTokenID = try id(endToken, "end")
        paddingTokenID = try id(paddingToken, "padding")
        unknownTokenID = try id(unknownToken, "unknown")
        self.maxLength = maxLength
        var ranks: [SymbolPair: Int] = [:]
        for (rank, pair) in merges.enumerated() where ranks[SymbolPair(left: pair.0, right: pair.1)] == nil {
            ranks[SymbolPair(left: pair.0, right: pair.1)] = rank
        }
        mergeRanks = ranks
        var special = addedTokens
        for (token, id) in [
            (startToken, startTokenID), (endToken, endTokenID), (paddingToken, paddingTokenID),
            (unknownToken, unknownTokenID)
        ] {
            special[token] = id
        }
        specialTokens = special.filter { !$0.key.isEmpty }
            .map { (Array($0.key.unicodeScalars), $0.value) }
            .sorted { ($0.scalars.count, $1.id) > ($1.scalars.count, $0.id) }
    }

    /// Reads a diffusers/transformers tokenizer folder: vocab.json and merges.txt,
    /// or tokenizer.json alone (as transformers 5 saves it), with
    /// tokenizer_config.json / special_tokens_map.json.
    public init(directory: URL) throws {
        let file = try CLIPTokenizerFile.read(directory: directory)
        let settings = try CLIPTokenizerSettings.read(directory: directory)
        // Shorter than the start and end tokens, every padded prompt would trap (found by Tests/FuzzTests).
        if let length = settings.maxLength, length < 2 {
            throw TokenizerError(
                message:
                    "\(directory.path): 'model_max_length' must be at least 2 (the start and end tokens), got \(length)"
            )
        }
        try self.init(
            vocabulary: file.vocabulary, merges: file.merges,
            startToken: settings.startToken ?? "<|startoftext|>",
            endToken: settings.endToken ?? "<|endoftext|>",
            paddingToken: settings.paddingToken ?? "<|endoftext|>",
            unknownToken: settings.unknownToken ?? "<|endoftext|>",
            addedTokens: file.addedTokens.merging(settings.addedTokens) { $1 },
            maxLength: settings.maxLength.map { Swift.min($0, 77) } ?? 77)
    }

    /// Token ids of `text` without start/end tokens, padding or truncation.
    public func tokenize(_ text: String) -> [Int] {
        var ids: [Int] = []
        for segment in splitSpecialTokens(text) {
            switch segment {
            case .special(let id):
                ids.append(id)
            case .text(let piece):
                for word in CLIPPreTokenizer.words(in: CLIPPreTokenizer.normalize(piece)) {
                    ids.append(contentsOf: bpe(CLIPByteEncoder.encode(word)))
                }
            }
        }
        return ids
    }

    /// Start token, the ids, end token (no truncation).
    public func encode(_ text: String) -> [Int] {
        [startTokenID] + tokenize(text) + [endTokenID]
    }

    /// Exactly `length` ids: truncated to keep room for the start and end tokens,
    /// then padded with the padding token.
    public func encodePadded(_ text: String, length: Int? = nil) -> [Int] {
        let length = length ?? maxLength
        let body = tokenize(text).prefix(Swift.max(length - 2, 0))
        let ids = [startTokenID] + body + [endTokenID]
        return ids + Array(repeating: paddingTokenID, count: Swift.max(length - ids.count, 0))
    }

    /// Padded ids of each prompt as an int64 tensor [B, maxLength].
    public func callAsFunction(_ prompts: [String]) -> Tensor {
        let ids = prompts.flatMap { encodePadded($0).map(Int64.init) }
        return Tensor(ids, shape: [prompts.count, maxLength])
    }

    private enum Segment {
        case text(String)
        case special(Int)
    }

    /// Special tokens are matched in the raw text, before normalisation, on
    /// unicode scalars (as the tokenizers library matches bytes: a "!" followed by
    /// a combining accent is still the token "!"). At each position the longest
    /// token wins.
    private func splitSpecialTokens(_ text: String) -> [Segment] {
        let scalars = Array(text.unicodeScalars)
        var segments: [Segment] = []
        var textStart = 0
        var position = 0
        func flushText() {
            if textStart < position {
                segments.append(.text(String(String.UnicodeScalarView(scalars[textStart..<position]))))
            }
        }
        while position < scalars.count {
            guard let token = specialTokens.first(where: { scalars[position...].starts(with: $0.scalars) }) else {
                position += 1
                continue
            }
            flushText()
            segments.append(.special(token.id))
            position += token.scalars.count
            textStart = position
        }
        flushText()
        return segments
    }

    /// Byte-pair encoding of one word (already byte-encoded): start from single
    /// symbols with `</w>` on the last, and merge the best-ranked pair until none applies.
    func bpe(_ word: String) -> [Int] {
        var symbols = word.unicodeScalars.map { String($0) }
        guard !symbols.isEmpty else { return [] }
        symbols[symbols.count - 1] += "</w>"
        while symbols.count > 1 {
            var best: (rank: Int, index: Int)?
            for i in 0..<(symbols.count - 1) {
                if let rank = mergeRanks[SymbolPair(left: symbols[i], right: symbols[i + 1])],
                    best == nil || rank < best!.rank
                {
                    best = (rank, i)
                }
            }
            guard let (_, _) = best else { break }
            let pair = (symbols[best!.index], symbols[best!.index + 1])
            // Merge every occurrence of the pair, left to right.
            var merged: [String] = []
            var i = 0
            while i < symbols.count {
                if i < symbols.count - 1 && symbols[i] == pair.0 && symbols[i + 1] == pair.1 {
                    merged.append(pair.0 + pair.1)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
        // Every byte symbol is in a CLIP vocabulary; another one falls back to the unknown token.
        return symbols.map { vocabulary[$0] ?? unknownTokenID }
    }
}

/// A tokenizer folder that cannot be used.
public struct TokenizerError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { message }
}
