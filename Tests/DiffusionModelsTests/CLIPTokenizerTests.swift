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

    /// A copy of a fixture tokenizer folder with only the files in `keeping`.
    private func tokenizerCopy(_ pipeline: String, keeping files: [String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("clip-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = fixtures.appendingPathComponent(pipeline).appendingPathComponent("tokenizer")
        for file in files {
            try FileManager.default.copyItem(
                at: source.appendingPathComponent(file), to: directory.appendingPathComponent(file))
        }
        return directory
    }

    /// transformers 5 saves a CLIP tokenizer as tokenizer.json alone: the same ids
    /// as vocab.json + merges.txt for every golden case of both pipelines.
    func testTokenizerJSONAloneGivesTheGoldenIDs() throws {
        let cases = try TokenizerCases.load()
        for (pipeline, golden) in [("tiny-sd1", cases.cases), ("tiny-sd2", cases.casesSD2)] {
            let directory = try tokenizerCopy(
                pipeline, keeping: ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"])
            defer { try? FileManager.default.removeItem(at: directory) }
            let fromJSON = try CLIPTokenizer(directory: directory)
            let legacy = try tokenizer(pipeline)
            XCTAssertEqual(fromJSON.vocabulary, legacy.vocabulary, pipeline)
            XCTAssertEqual(
                [fromJSON.startTokenID, fromJSON.endTokenID, fromJSON.paddingTokenID, fromJSON.maxLength],
                [legacy.startTokenID, legacy.endTokenID, legacy.paddingTokenID, legacy.maxLength], pipeline)
            assertMatches(fromJSON, golden)
        }
    }

    /// Merges written as "a b" strings (tokenizers before 0.20) read like pairs; a
    /// model that is not CLIP's BPE is refused naming the field.
    func testTokenizerJSONVariantsAndForeignModels() throws {
        let directory = try tokenizerCopy("tiny-sd1", keeping: ["tokenizer.json", "tokenizer_config.json"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("tokenizer.json")
        let original = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        func write(_ change: (inout [String: Any]) -> Void) throws {
            var model = try XCTUnwrap(original["model"] as? [String: Any])
            change(&model)
            var root = original
            root["model"] = model
            try JSONSerialization.data(withJSONObject: root).write(to: url)
        }
        let legacy = try tokenizer("tiny-sd1")
        try write { model in
            model["merges"] = (model["merges"] as? [[String]])?.map { $0.joined(separator: " ") }
        }
        let fromStrings = try CLIPTokenizer(directory: directory)
        XCTAssertEqual(
            fromStrings.encodePadded("a red circle, left of two squares"),
            legacy.encodePadded("a red circle, left of two squares"))
        try write { model in model["type"] = "Unigram" }
        XCTAssertThrowsError(try CLIPTokenizer(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("model.type") && "\(error)".contains("tokenizer.json"), "\(error)")
        }
        try write { model in model["end_of_word_suffix"] = NSNull() }
        XCTAssertThrowsError(try CLIPTokenizer(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("end_of_word_suffix"), "\(error)")
        }
        try write { model in model["merges"] = [["a", "b", "c"]] }
        XCTAssertThrowsError(try CLIPTokenizer(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("'model.merges' entry 0"), "\(error)")
        }
        try Data("{not json".utf8).write(to: url)
        XCTAssertThrowsError(try CLIPTokenizer(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("tokenizer.json"), "\(error)")
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
