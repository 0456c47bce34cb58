import XCTest

@testable import DDPO

/// "Did you mean …?": the edit distance, the threshold, and the overrides and
/// YAML keys that use them.
final class SuggestionTests: XCTestCase {
    func testDistanceCountsInsertionsDeletionsSubstitutionsAndSwaps() {
        XCTAssertEqual(Suggestion.distance("", ""), 0)
        XCTAssertEqual(Suggestion.distance("", "abc"), 3)
        XCTAssertEqual(Suggestion.distance("abc", ""), 3)
        XCTAssertEqual(Suggestion.distance("train", "train"), 0)
        XCTAssertEqual(Suggestion.distance("trian", "train"), 1, "a swap of neighbours is one edit")
        XCTAssertEqual(Suggestion.distance("confg", "config"), 1, "an insertion")
        XCTAssertEqual(Suggestion.distance("configg", "config"), 1, "a deletion")
        XCTAssertEqual(Suggestion.distance("sample", "simple"), 1, "a substitution")
        XCTAssertEqual(Suggestion.distance("kitten", "sitting"), 3)
        XCTAssertEqual(Suggestion.distance("ca", "abc"), 3, "optimal string alignment: no edit of a swapped pair")
        XCTAssertEqual(Suggestion.distance("évaluer", "evaluer"), 1, "characters, not bytes")
    }

    func testDistanceIsSymmetric() {
        for (a, b) in [("trian", "train"), ("learning_rte", "learning_rate"), ("x", "export"), ("", "sample")] {
            XCTAssertEqual(Suggestion.distance(a, b), Suggestion.distance(b, a), "\(a) / \(b)")
        }
    }

    func testSuggestsOnlyCloseNames() {
        let commands = [
            "sample", "train", "evaluate", "report", "pretrain", "experiment", "compare", "export", "config"
        ]
        XCTAssertEqual(Suggestion.closest(to: "trian", among: commands), "train")
        XCTAssertEqual(Suggestion.closest(to: "evalute", among: commands), "evaluate")
        XCTAssertEqual(Suggestion.closest(to: "Train", among: commands), "train", "case is ignored")
        XCTAssertEqual(Suggestion.closest(to: "exprot", among: commands), "export")
        XCTAssertNil(Suggestion.closest(to: "fly", among: commands), "nothing close: no wild guess")
        XCTAssertEqual(
            Suggestion.closest(to: "shapes_held", among: ["shapes", "shapes_all", "shapes_held_out"]),
            "shapes_held_out",
            "a name cut short suggests the whole")
        XCTAssertEqual(Suggestion.closest(to: "pre", among: ["pretrain", "prompt"]), "pretrain")
        XCTAssertNil(Suggestion.closest(to: "x", among: ["a", "b"]), "a one-letter name keeps nothing of the input")
        XCTAssertNil(Suggestion.closest(to: "train", among: ["train"]), "the name itself is no suggestion")
        XCTAssertEqual(
            Suggestion.closest(to: "abd", among: ["abc", "abe"]), "abc", "ties go to the earlier candidate")
    }

    func testAllowedDistanceGrowsWithTheNameUpToThree() {
        XCTAssertEqual(Suggestion.allowedDistance(for: "ab"), 1)
        XCTAssertEqual(Suggestion.allowedDistance(for: "sample"), 2)
        XCTAssertEqual(Suggestion.allowedDistance(for: "train.learning_rte"), 3)
        XCTAssertNil(Suggestion.closest(to: "sampel_sizes", among: ["sample.batch_size"]))
    }

    func testUnknownNameListsTheValidNamesAndTheLikelyOne() {
        XCTAssertEqual(
            Suggestion.unknownName("reward", "jpeg_compresibility", valid: ["aesthetic", "jpeg_compressibility"]),
            "unknown reward 'jpeg_compresibility'; did you mean 'jpeg_compressibility'? "
                + "(valid: aesthetic, jpeg_compressibility)")
        XCTAssertEqual(
            Suggestion.unknownName("value", "fp16", valid: ["no", "bf16"]), "unknown value 'fp16' (valid: no, bf16)")
    }

    func testAMisspeltOverrideSuggestsTheSetting() {
        for (override, meant) in [
            ("train.learning_rte=1e-4", "train.learning_rate"), ("trian.learning_rate=1", "train.learning_rate"),
            ("epoch=3", "epochs"), ("sample.num_step=3", "sample.num_steps"), ("rewrd=aesthetic", "reward"),
            ("reward.optons.quality=90", "reward.options.quality")
        ] {
            let error = assertConfigurationError(field: String(override.split(separator: "=")[0])) {
                try TrainingConfiguration.decode(yaml: "", overrides: [override])
            }
            XCTAssertEqual(
                error?.message, "unknown setting in override '\(override)'; did you mean '\(meant)'?",
                String(describing: error))
        }
        let far = assertConfigurationError(field: "colour") {
            try TrainingConfiguration.decode(yaml: "", overrides: ["colour=red"])
        }
        XCTAssertEqual(
            far?.message, "unknown setting in override 'colour=red' (ddpo config --defaults lists every setting)")
    }

    func testEveryKnownOverridePathIsAccepted() throws {
        for path in ConfigurationOverride.knownPaths {
            XCTAssertNoThrow(try ConfigurationOverride("\(path)=null"), path)
        }
    }

    func testAMisspeltKeyInAFileSuggestsTheKey() {
        let error = assertConfigurationError(field: "train.learnig_rate") {
            try TrainingConfiguration.decode(yaml: "train:\n  learnig_rate: 1.0e-4\n")
        }
        XCTAssertTrue(
            error?.message.contains("unknown key 'learnig_rate' in train; did you mean 'learning_rate'?") ?? false,
            String(describing: error))
    }

    func testAMisspeltRewardOrPromptSetNameSuggestsTheName() {
        var reward = validConfiguration()
        reward.reward.name = "jpeg_compresibility"
        let rewardError = assertConfigurationError(field: "reward") {
            try reward.validate(catalogue: .standard)
        }
        XCTAssertTrue(
            rewardError?.message.contains("did you mean 'jpeg_compressibility'? (valid: ") ?? false,
            String(describing: rewardError))
        var prompt = validConfiguration()
        prompt.prompt.name = "simple_animal"
        let promptError = assertConfigurationError(field: "prompt") { try prompt.validate(catalogue: .standard) }
        XCTAssertTrue(
            promptError?.message.contains("did you mean 'simple_animals'? (valid: simple_animals, imagenet_animals")
                ?? false, String(describing: promptError))
    }
}
