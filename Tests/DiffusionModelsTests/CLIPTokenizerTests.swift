import DiffusionModels
import Foundation
import Torch
import XCTest

/// Tests/Fixtures, shared with other test targets and read in place.
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// Token ids transformers' CLIPTokenizer gave for each text (scripts/golden/sd_pipelines.py).
private struct TokenizerCases: Decodable {
    struct Case: Decodable {
        var text: String
        var ids: [Int]
        var idsPadded: [Int]

        enum CodingKeys: String, CodingKey {
            case text, ids
            case idsPadded = "ids_padded"
        }
    }

    /// For the tiny-sd1 tokenizer (padding with the end token).
    var cases: [Case]
    /// For the tiny-sd2 tokenizer, whose padding token "!" is a special token.
    var casesSD2: [Case]

    enum CodingKeys: String, CodingKey {
        case cases
        case casesSD2 = "cases_sd2"
    }

    static func load() throws -> TokenizerCases {
        let url = fixtures.appendingPathComponent("tokenizer_cases.json")
        return try JSONDecoder().decode(TokenizerCases.self, from: Data(contentsOf: url))
    }
}

final class CLIPTokenizerTests: XCTestCase {
    private func tokenizer(_ pipeline: String) throws -> CLIPTokenizer {
        try CLIPTokenizer(directory: fixtures.appendingPathComponent(pipeline).appendingPathComponent("tokenizer"))
    }

    /// Checks every case and reports all mismatches at once, with the texts escaped.
    private func assertMatches(
        _ tokenizer: CLIPTokenizer, _ cases: [TokenizerCases.Case],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        var failures: [String] = []
        for testCase in cases {
            let ids = tokenizer.encode(testCase.text)
            let padded = tokenizer.encodePadded(testCase.text)
            if ids != testCase.ids {
                failures.append("\(testCase.text.debugDescription): ids \(ids) != \(testCase.ids)")
            }
            if padded != testCase.idsPadded {
                failures.append("\(testCase.text.debugDescription): padded \(padded) != \(testCase.idsPadded)")
            }
        }
        XCTAssertTrue(
            failures.isEmpty, "\(failures.count) mismatches:\n" + failures.joined(separator: "\n"),
            file: file, line: line)
    }

    func testEveryGoldenCaseOfTheSD1Tokenizer() throws {
        let cases = try TokenizerCases.load().cases
        XCTAssertGreaterThanOrEqual(cases.count, 220)
        let tokenizer = try tokenizer("tiny-sd1")
        XCTAssertEqual(tokenizer.paddingTokenID, tokenizer.endTokenID)
        assertMatches(tokenizer, cases)
    }

    func testEveryGoldenCaseOfTheSD2TokenizerWithItsSpecialPaddingToken() throws {
        let cases = try TokenizerCases.load().casesSD2
        XCTAssertFalse(cases.isEmpty)
        let tokenizer = try tokenizer("tiny-sd2")
        XCTAssertEqual(tokenizer.paddingTokenID, 0, "SD 2.x pads with '!'")
        assertMatches(tokenizer, cases)
    }

    /// Cases beyond the fixture file; the ids are what transformers 5.24's
    /// CLIPTokenizer gives for these tokenizers.
    func testSpecialTokenEdgeCases() throws {
        let sd1 = try tokenizer("tiny-sd1")
        // Lower-casing makes a special-token name, which ByteLevel's split cuts off before "!!".
        XCTAssertEqual(
            sd1.encode("<|ENDOFTEXT|>!!"), [1112, 27, 347, 543, 67, 78, 69, 703, 87, 339, 91, 285, 0, 256, 1113])
        XCTAssertEqual(sd1.encode("a<|endoftext|>b"), [1112, 320, 1113, 321, 1113])
        XCTAssertEqual(sd1.encode("<|endoftext|><|endoftext|>"), [1112, 1113, 1113, 1113])
        let sd2 = try tokenizer("tiny-sd2")
        // "!" is matched on code points, not on characters: a combining accent does not hide it.
        XCTAssertEqual(sd2.encode("!\u{301}"), [1112, 0, 136, 479, 1113])
        XCTAssertEqual(sd2.encode("e\u{301}!"), [1112, 127, 358, 0, 1113])
        XCTAssertEqual(sd2.encode("!<|endoftext|>!"), [1112, 0, 1113, 0, 1113])
        XCTAssertEqual(
            sd2.encode("<|ENDOFTEXT|>!!"), [1112, 27, 347, 543, 67, 78, 69, 703, 87, 339, 91, 285, 0, 0, 1113])
    }

    func testPromptIDsOfBothPipelines() throws {
        let prompts = ["", "a red circle", "two green squares on a blue background"]
        for pipeline in ["tiny-sd1", "tiny-sd2"] {
            let reference = try SafetensorsFile(
                url: fixtures.appendingPathComponent(pipeline)
                    .appendingPathComponent("reference.safetensors")
            ).tensor(named: "prompt_ids")
            let ids = try tokenizer(pipeline)(prompts)
            XCTAssertEqual(ids.shape, [3, 77], pipeline)
            XCTAssertEqual(ids.dtype, .int64, pipeline)
            XCTAssertEqual(ids.toArray(Int64.self), reference.toArray(Int64.self), pipeline)
        }
    }

    func testMissingVocabularyIsNamed() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("clip-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = fixtures.appendingPathComponent("tiny-sd1/tokenizer")
        for file in ["merges.txt", "special_tokens_map.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(
                at: source.appendingPathComponent(file),
                to: directory.appendingPathComponent(file))
        }
        XCTAssertThrowsError(try CLIPTokenizer(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("vocab.json"), "\(error)")
        }
        try FileManager.default.removeItem(at: directory.appendingPathComponent("merges.txt"))
        try FileManager.default.copyItem(
            at: source.appendingPathComponent("vocab.json"),
            to: directory.appendingPathComponent("vocab.json"))
        XCTAssertThrowsError(try CLIPTokenizer(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("merges.txt"), "\(error)")
        }
    }
}
