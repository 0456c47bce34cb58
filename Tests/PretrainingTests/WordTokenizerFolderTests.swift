import DiffusionModels
import Foundation
import Pretraining
import XCTest

final class WordTokenizerFolderTests: XCTestCase {
    let words = [
        "a", "red", "green", "blue", "circle", "square", "triangle", "star", "on", "background", "greenish",
        "re", "reed"
    ]

    func testEveryWordIsOneTokenAndCaptionsAreStartWordsEnd() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try WordTokenizerFolder(words: words).write(to: directory)
        for file in ["vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path), file)
        }
        let tokenizer = try CLIPTokenizer(directory: directory)
        XCTAssertEqual(tokenizer.maxLength, 77)
        var ids: [String: Int] = [:]
        for word in words {
            let tokens = tokenizer.tokenize(word)
            XCTAssertEqual(tokens.count, 1, "'\(word)' → \(tokens)")
            ids[word] = tokens.first
        }
        XCTAssertEqual(Set(ids.values).count, words.count, "each word its own id")
        XCTAssertEqual(
            tokenizer.encode("a red circle on a green background"),
            [tokenizer.startTokenID] + ["a", "red", "circle", "on", "a", "green", "background"].map { ids[$0]! }
                + [tokenizer.endTokenID])
        // CLIP's layout: 512 byte symbols, the merges, then start and end last.
        XCTAssertEqual(tokenizer.endTokenID, tokenizer.vocabulary.count - 1)
        XCTAssertEqual(tokenizer.startTokenID, tokenizer.vocabulary.count - 2)
        XCTAssertEqual(tokenizer.vocabulary["a</w>"], 256 + 64)
    }
}
