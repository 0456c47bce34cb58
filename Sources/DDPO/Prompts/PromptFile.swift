import Foundation

/// Reads a list of prompts (or nouns) from a text file: one per line, leading and
/// trailing spaces trimmed, blank lines and lines starting with `#` skipped, so
/// that lists can carry comments. A missing, unreadable or empty file is an error
/// that names it and the configuration field it came from.
public enum PromptFile {
    public static func lines(of path: String, field: String = "prompt.file") throws -> [String] {
        let text: String
        do {
            text = try String(contentsOf: URL(fileURLWithPath: path), encoding: .utf8)
        } catch {
            throw ConfigurationError(
                field: field,
                message: "cannot read the prompt file '\(path)'"
                    + " (\(error.localizedDescription))", file: path)
        }
        let lines = parse(text)
        if lines.isEmpty {
            throw ConfigurationError(
                field: field,
                message: "the prompt file '\(path)' holds no prompt"
                    + " (only blank lines or # comments)", file: path)
        }
        return lines
    }

    /// The non-blank, non-comment lines of `text`, trimmed.
    public static func parse(_ text: String) -> [String] {
        text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}
