import XCTest

@testable import DDPO

final class PromptSetsTests: XCTestCase {
    private func make(_ name: String, file: String? = nil, prompts: [String]? = nil) throws -> any PromptSet {
        try Catalogue.tests().promptSets.make(.init(name: name, file: file, prompts: prompts))
    }

    func testRegisteredNames() {
        XCTAssertEqual(
            PromptSetRegistry.standard.names,
            ["simple_animals", "imagenet_animals", "nouns_activities", "counting", "file", "fixed"])
        XCTAssertEqual(
            Catalogue.tests().promptSets.names,
            [
                "simple_animals", "imagenet_animals", "shapes", "shapes_held_out", "shapes_all",
                "shapes_relations", "shapes_relations_sample", "shapes_relations_held_out", "shapes_compositional",
                "nouns_activities", "counting", "file", "fixed"
            ])
    }

    func testShapesSetsSplitTheWorldIntoTrainedAndHeldOutCaptions() throws {
        let trained = try XCTUnwrap(try make("shapes") as? ListPromptSet).prompts
        let heldOut = try XCTUnwrap(try make("shapes_held_out") as? ListPromptSet).prompts
        let all = try XCTUnwrap(try make("shapes_all") as? ListPromptSet).prompts
        XCTAssertEqual(trained.count, 240)
        XCTAssertEqual(heldOut.count, 48)
        XCTAssertEqual(Set(trained).union(heldOut), Set(all))
        XCTAssertTrue(Set(trained).isDisjoint(with: heldOut))
        XCTAssertTrue(heldOut.contains("an orange circle on a white background"), "\(heldOut.prefix(3))")
        XCTAssertTrue(trained.contains("a red circle on a white background"))
        XCTAssertFalse(trained.contains { $0.contains("orange circle") || $0.contains("blue star") })
        XCTAssertEqual(Catalogue.tests().promptSets.list(named: "shapes_held_out"), heldOut)
        XCTAssertEqual(Catalogue.tests().promptSets.list(named: "simple_animals")?.count, 45)
        XCTAssertNil(Catalogue.tests().promptSets.list(named: "counting"), "not a plain list")
        XCTAssertNil(Catalogue.tests().promptSets.list(named: "no_such_set"))
    }

    func testWordListCounts() throws {
        XCTAssertEqual(PromptSets.simpleAnimals.count, 45)
        XCTAssertEqual(Set(PromptSets.simpleAnimals).count, 45)
        XCTAssertEqual(PromptSets.simpleAnimals.first, "cat")
        XCTAssertEqual(PromptSets.simpleAnimals.last, "kangaroo")
        XCTAssertEqual(PromptSets.imagenetAnimals.count, 398)
        XCTAssertEqual(PromptSets.imagenetAnimals[0], "tench, Tinca tinca")
        XCTAssertEqual(PromptSets.imagenetAnimals[1], "goldfish, Carassius auratus")
        XCTAssertEqual(PromptSets.imagenetAnimals[207], "golden retriever")
        XCTAssertEqual(PromptSets.imagenetAnimals[397], "puffer, pufferfish, blowfish, globefish")
        XCTAssertEqual((try make("simple_animals") as? ListPromptSet)?.prompts.count, 45)
        XCTAssertEqual((try make("imagenet_animals") as? ListPromptSet)?.prompts.count, 398)
        XCTAssertEqual(PromptSets.activities, ["washing the dishes", "riding a bike", "playing chess"])
    }

    /// Draws that reach every element, so the sets' supports can be checked.
    private func draws(_ set: any PromptSet, _ count: Int = 4000) -> [String] {
        PromptSampler(promptSet: set, seed: 0).prompts(epoch: 0, firstSample: 0, count: count)
    }

    func testNounsActivitiesUseTheRightArticle() throws {
        let prompts = Set(draws(try make("nouns_activities")))
        XCTAssertEqual(prompts.count, 45 * 3, "every animal with every activity")
        XCTAssertTrue(prompts.contains("an ant riding a bike"))
        XCTAssertTrue(prompts.contains("a cat washing the dishes"))
        XCTAssertTrue(prompts.contains("a hedgehog playing chess"))
        XCTAssertFalse(prompts.contains { $0.hasPrefix("a ant") || $0.hasPrefix("an c") })
    }

    func testCountingUsesNumberWordsAndPlurals() throws {
        let prompts = Set(draws(try make("counting"), 20000))
        XCTAssertEqual(prompts.count, 45 * 10)
        for expected in [
            "three cats", "one cat", "ten mice", "two geese", "four wolves", "five foxes",
            "six butterflies", "seven sheep", "eight fish", "nine monkeys", "two kangaroos", "three flies"
        ] {
            XCTAssertTrue(prompts.contains(expected), expected)
        }
        XCTAssertFalse(prompts.contains("one cats"))
    }

    func testFileAndFixedSets() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("prompts-\(UUID().uuidString).txt")
        try "# my prompts\n\na red car  \n\t\n  # indented comment\nan old tree\r\nsunset #1\n"
            .write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(
            (try make("file", file: url.path) as? ListPromptSet)?.prompts,
            ["a red car", "an old tree", "sunset #1"])
        // For the noun-based sets the file replaces the animals.
        let nounFile = FileManager.default.temporaryDirectory.appendingPathComponent("nouns-\(UUID().uuidString).txt")
        try "owl\nzebra\n".write(to: nounFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: nounFile) }
        XCTAssertEqual(Set(draws(try make("nouns_activities", file: nounFile.path), 500)).count, 6)
        XCTAssertTrue(draws(try make("nouns_activities", file: nounFile.path), 500).contains("an owl playing chess"))
        XCTAssertEqual(Set(draws(try make("counting", file: nounFile.path), 2000)).count, 20)
        XCTAssertEqual((try make("fixed", prompts: ["x", "y"]) as? ListPromptSet)?.prompts, ["x", "y"])
    }

    func testFileErrorsNameTheFile() throws {
        let missing = "/nonexistent/prompts.txt"
        let notFound = assertConfigurationError(field: "prompt.file") { try self.make("file", file: missing) }
        XCTAssertTrue(notFound?.message.contains(missing) ?? false)
        XCTAssertEqual(notFound?.file, missing)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString).txt")
        try "# only a comment\n\n   \n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let empty = assertConfigurationError(field: "prompt.file") { try self.make("file", file: url.path) }
        XCTAssertTrue(empty?.message.contains("holds no prompt") ?? false)
        XCTAssertTrue(empty?.message.contains(url.path) ?? false)
        assertConfigurationError(field: "prompt.file") { try self.make("counting", file: url.path) }
    }

    func testArgumentErrors() {
        assertConfigurationError(field: "prompt") { try self.make("animals") }
        assertConfigurationError(field: "prompt.file") { try self.make("file") }
        assertConfigurationError(field: "prompt.file") { try self.make("imagenet_animals", file: "x") }
        assertConfigurationError(field: "prompt.prompts") { try self.make("fixed") }
        assertConfigurationError(field: "prompt.prompts") { try self.make("counting", prompts: ["a"]) }
    }
}
