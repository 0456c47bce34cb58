import Foundation

/// Special tokens, added tokens and the sequence length of a tokenizer folder,
/// from tokenizer_config.json and special_tokens_map.json, combined as
/// transformers 5 does: special_tokens_map.json (a legacy file) overrides
/// tokenizer_config.json, and is ignored when tokenizer_config.json lists its
/// `added_tokens_decoder`. (SD 2.x's folders say pad "<|endoftext|>" in one
/// file and "!" in the other; "!" is what the pipelines use.)
struct CLIPTokenizerSettings {
    var startToken: String?
    var endToken: String?
    var paddingToken: String?
    var unknownToken: String?
    var maxLength: Int?
    /// `added_tokens_decoder` of tokenizer_config.json: token → id.
    var addedTokens: [String: Int] = [:]

    static func read(directory: URL) throws -> CLIPTokenizerSettings {
        var settings = CLIPTokenizerSettings()
        let config = try readObject(directory.appendingPathComponent("tokenizer_config.json"))
        if let config { settings.merge(config) }
        if let decoder = config?["added_tokens_decoder"] as? [String: Any] {
            for (id, entry) in decoder {
                if let id = Int(id), let content = tokenContent(entry) { settings.addedTokens[content] = id }
            }
        } else if let map = try readObject(directory.appendingPathComponent("special_tokens_map.json")) {
            settings.merge(map)
        }
        return settings
    }

    private mutating func merge(_ object: [String: Any]) {
        startToken = Self.tokenContent(object["bos_token"]) ?? startToken
        endToken = Self.tokenContent(object["eos_token"]) ?? endToken
        paddingToken = Self.tokenContent(object["pad_token"]) ?? paddingToken
        unknownToken = Self.tokenContent(object["unk_token"]) ?? unknownToken
        // Some configs write a huge float (1e30) for "no limit"; only an integer counts.
        if let length = object["model_max_length"] as? Int { maxLength = length }
    }

    /// A token is either a string or an AddedToken object with "content".
    private static func tokenContent(_ value: Any?) -> String? {
        if let text = value as? String { return text }
        return (value as? [String: Any])?["content"] as? String
    }

    /// The file's JSON object, nil when the file does not exist.
    private static func readObject(_ url: URL) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let data = try? Data(contentsOf: url),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw TokenizerError(message: "\(url.path): not a readable JSON object")
        }
        return object
    }
}
