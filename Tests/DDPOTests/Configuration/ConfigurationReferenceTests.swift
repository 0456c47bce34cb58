import XCTest
import Yams

@testable import DDPO

/// The runtime table of `ddpo config --defaults` and docs/configuration.md: complete
/// (every key the default configuration writes has an entry) and true (every entry
/// names a key an override accepts, and its default is the encoded one).
final class ConfigurationReferenceTests: XCTestCase {
    private var keys: [String] { ConfigurationReference.entries.map(\.key) }

    func testEveryEncodedKeyHasAnEntry() {
        let encoded = ConfigurationReference.defaultValues()
        XCTAssertGreaterThan(encoded.count, 50, "the default configuration has some 60 keys")
        let missing = encoded.keys.filter { !keys.contains($0) }.sorted()
        XCTAssertEqual(missing, [], "keys without an entry in ConfigurationReference.entries")
    }

    /// Multi-task and the mapping forms write keys the default leaves out.
    func testTheKeysOfTheOtherFormsHaveEntriesToo() throws {
        var configuration = TrainingConfiguration(runName: "run")
        configuration.tasks = [.init(name: "a")]
        configuration.monitor.prompts = .init(name: "fixed", prompts: ["a cat"])
        let yaml = try XCTUnwrap(Yams.compose(yaml: configuration.yamlString())).mapping
        let topLevel = try XCTUnwrap(yaml).keys.compactMap(\.string)
        // Sections (sample:, train:, ...) have their keys' entries, not one of their own.
        for key in topLevel where TrainingConfiguration.sectionKeys[key] == nil {
            XCTAssertTrue(keys.contains(key), "top-level key \(key) has no entry")
        }
        for key in ["prompt.file", "prompt.prompts", "reward.options"] {
            XCTAssertTrue(keys.contains(key), key)
        }
    }

    func testEveryEntryNamesAKeyAnOverrideAccepts() {
        for key in keys {
            XCTAssertNoThrow(try ConfigurationOverride("\(key)=null"), "\(key) is not a configuration key")
        }
        XCTAssertEqual(Set(keys).count, keys.count, "a key listed twice")
    }

    func testDefaultsComeFromTheEncodedConfiguration() {
        let rows = Dictionary(uniqueKeysWithValues: ConfigurationReference.rows().map { ($0.key, $0) })
        XCTAssertEqual(rows["train.learning_rate"]?.defaultValue, "0.0003")
        XCTAssertEqual(rows["sample.num_steps"]?.defaultValue, "50")
        XCTAssertEqual(rows["lora.targets"]?.defaultValue, "[to_q, to_k, to_v, to_out.0]")
        XCTAssertEqual(rows["resume"]?.defaultValue, "null")
        XCTAssertEqual(rows["prompt"]?.defaultValue, "imagenet_animals")
        XCTAssertEqual(rows["model"]?.defaultIsValue, false, "the required model has no default value")
        for row in rows.values where row.defaultIsValue {
            XCTAssertNotEqual(row.defaultValue, "?", "\(row.key): not in the encoded default configuration")
        }
        let encoded = ConfigurationReference.defaultValues()
        for entry in ConfigurationReference.entries {
            if entry.defaultValue != nil {
                XCTAssertNil(
                    encoded[entry.key], "\(entry.key): written by the encoding, whose default is the one to show")
            }
            XCTAssertFalse(entry.meaning.isEmpty, entry.key)
            XCTAssertFalse(entry.meaning.contains("\n"), "\(entry.key): one line")
        }
    }

    func testMarkdownHasOneRowPerEntryAndEscapesPipes() {
        let markdown = ConfigurationReference.markdown()
        let rows = markdown.split(separator: "\n").filter { $0.hasPrefix("| `") }
        XCTAssertEqual(rows.count, ConfigurationReference.entries.count)
        for row in rows {
            let unescapedPipes = row.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count
            XCTAssertEqual(unescapedPipes, 4, "three cells: \(row)")
        }
    }
}
