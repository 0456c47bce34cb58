import Foundation

/// The vocabulary and merges of a CLIP tokenizer folder, from either layout
/// transformers writes: `vocab.json` + `merges.txt` (transformers 4 and every
/// published Stable Diffusion folder), or `tokenizer.json` alone (the
/// tokenizers library's file, which transformers 5 writes instead of the two).
///
/// In `tokenizer.json` only a byte-level BPE model with CLIP's `</w>` word
/// suffix is accepted: that is the algorithm `CLIPTokenizer` implements, and
/// anything else would give other ids without an error.
struct CLIPTokenizerFile {
    var vocabulary: [String: Int]
    var merges: [(String, String)]
    /// `added_tokens` of tokenizer.json (token → id); empty for the legacy files.
    var addedTokens: [String: Int] = [:]

    static func read(directory: URL) throws -> CLIPTokenizerFile {
        let vocabURL = directory.appendingPathComponent("vocab.json")
        let mergesURL = directory.appendingPathComponent("merges.txt")
        let jsonURL = directory.appendingPathComponent("tokenizer.json")
        let manager = FileManager.default
        if !manager.fileExists(atPath: vocabURL.path), !manager.fileExists(atPath: mergesURL.path),
            manager.fileExists(atPath: jsonURL.path)
        {
            return try readTokenizerJSON(jsonURL)
        }
        return try readLegacyFiles(vocabURL: vocabURL, mergesURL: mergesURL)
    }

    private static func readLegacyFiles(vocabURL: URL, mergesURL: URL) throws -> CLIPTokenizerFile {
        let vocabulary: [String: Int]
        do {
            vocabulary = try JSONDecoder().decode([String: Int].self, from: Data(contentsOf: vocabURL))
        } catch {
            throw TokenizerError(
                message: "\(vocabURL.path): cannot read the vocabulary (\(error.localizedDescription)); "
                    + "a tokenizer folder needs vocab.json and merges.txt, or tokenizer.json")
        }
        let mergesText: String
        do {
            mergesText = try String(contentsOf: mergesURL, encoding: .utf8)
        } catch {
            throw TokenizerError(message: "\(mergesURL.path): cannot read the merges (\(error.localizedDescription))")
        }
        var merges: [(String, String)] = []
        for (number, line) in mergesText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("#version") || line.isEmpty { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizerError(
                    message: "\(mergesURL.path): line \(number + 1) is not a pair of symbols: '\(line)'")
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        return CLIPTokenizerFile(vocabulary: vocabulary, merges: merges)
    }

    private static func readTokenizerJSON(_ url: URL) throws -> CLIPTokenizerFile {
        func failure(_ message: String) -> TokenizerError {
            TokenizerError(message: "\(url.path): \(message)")
        }
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
                throw failure("not a JSON object")
            }
            root = object
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw failure("cannot read the tokenizer (\(error.localizedDescription))")
        }
        guard let model = root["model"] as? [String: Any] else { throw failure("no 'model' object") }
        guard model["type"] as? String == "BPE" else {
            throw failure(
                "'model.type' is \(String(describing: model["type"] ?? "missing")), expected BPE (CLIP's tokenizer)")
        }
        guard model["end_of_word_suffix"] as? String == "</w>" else {
            throw failure(
                "'model.end_of_word_suffix' is \(String(describing: model["end_of_word_suffix"] ?? "missing")), "
                    + "expected \"</w>\" (CLIP's BPE)")
        }
        guard let rawVocabulary = model["vocab"] as? [String: Any] else { throw failure("no 'model.vocab' object") }
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(rawVocabulary.count)
        for (token, id) in rawVocabulary {
            guard let id = id as? Int else { throw failure("'model.vocab' gives '\(token)' a non-integer id") }
            vocabulary[token] = id
        }
        guard let rawMerges = model["merges"] as? [Any] else { throw failure("no 'model.merges' list") }
        var merges: [(String, String)] = []
        merges.reserveCapacity(rawMerges.count)
        for (index, entry) in rawMerges.enumerated() {
            // tokenizers before 0.20 wrote "a b"; later versions write ["a", "b"].
            if let pair = entry as? [String], pair.count == 2 {
                merges.append((pair[0], pair[1]))
            } else if let text = entry as? String,
                case let parts = text.split(separator: " ", omittingEmptySubsequences: false), parts.count == 2
            {
                merges.append((String(parts[0]), String(parts[1])))
            } else {
                throw failure("'model.merges' entry \(index) is not a pair of symbols: \(entry)")
            }
        }
        var addedTokens: [String: Int] = [:]
        for entry in root["added_tokens"] as? [[String: Any]] ?? [] {
            if let content = entry["content"] as? String, let id = entry["id"] as? Int { addedTokens[content] = id }
        }
        return CLIPTokenizerFile(vocabulary: vocabulary, merges: merges, addedTokens: addedTokens)
    }
}
