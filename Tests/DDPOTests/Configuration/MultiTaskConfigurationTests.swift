import XCTest

@testable import DDPO

/// `tasks:` and `multi_task_update`: parsing, the saved form, and each error.
final class MultiTaskConfigurationTests: XCTestCase {
    private let twoTasks = """
        model: m
        tasks:
          - {name: small, prompt: shapes, reward: jpeg_compressibility}
          - name: aligned
            prompt: {name: fixed, prompts: ["a red circle"]}
            reward: {name: shapes_alignment, options: {temperature: "2"}}
            weight: 0.5
        multi_task_update: weighted_sum

        """

    private func decode(_ yaml: String, _ overrides: [String] = []) throws -> TrainingConfiguration {
        try TrainingConfiguration.decode(yaml: yaml, overrides: overrides)
    }

    func testTasksTakeThePromptAndRewardFormsOfTheTopLevel() throws {
        let c = try decode(twoTasks)
        XCTAssertEqual(
            c.tasks,
            [
                .init(
                    name: "small", prompt: .init(name: "shapes"), reward: .init(name: "jpeg_compressibility"), weight: 1
                ),
                .init(
                    name: "aligned", prompt: .init(name: "fixed", prompts: ["a red circle"]),
                    reward: .init(name: "shapes_alignment", options: ["temperature": "2"]), weight: 0.5)
            ])
        XCTAssertEqual(c.multiTaskUpdate, .weightedSum)
        XCTAssertTrue(c.isMultiTask)
        XCTAssertEqual(c.effectiveTasks.map(\.name), ["small", "aligned"])
        XCTAssertNoThrow(try c.validate(knownRewards: testRewardNames))
    }

    func testOverridesReachATaskByIndexOrName() throws {
        let c = try decode(
            twoTasks,
            [
                "tasks.0.weight=3", "tasks.aligned.reward.options.temperature=4",
                "tasks.small.prompt.name=shapes_all", "tasks.1.prompt=counting",
                "tasks.small.reward.options.quality=80"
            ])
        XCTAssertEqual(c.tasks?[0].weight, 3)
        XCTAssertEqual(c.tasks?[0].prompt, .init(name: "shapes_all"))
        XCTAssertEqual(c.tasks?[0].reward, .init(name: "jpeg_compressibility", options: ["quality": "80"]))
        XCTAssertEqual(c.tasks?[1].reward.options, ["temperature": "4"])
        XCTAssertEqual(c.tasks?[1].prompt, .init(name: "counting"))
        XCTAssertEqual(c.tasks?[1].weight, 0.5, "untouched")
        // A whole task list replaces the file's.
        let replaced = try decode(twoTasks, ["tasks=[{name: only, prompt: shapes, reward: jpeg_compressibility}]"])
        XCTAssertEqual(replaced.tasks?.map(\.name), ["only"])
        let wholeTask = try decode(twoTasks, ["tasks.1={name: other, prompt: shapes, reward: jpeg_compressibility}"])
        XCTAssertEqual(wholeTask.tasks?.map(\.name), ["small", "other"])
    }

    private func assertOverrideError(
        field: String, containing text: String, _ body: () throws -> Any,
        line: UInt = #line
    ) {
        let error = assertConfigurationError(field: field, body, line: line)
        XCTAssertTrue(error.map { "\($0)".contains(text) } ?? false, "\(String(describing: error))", line: line)
    }

    func testTaskOverridesThatMissAreErrorsSayingWhy() throws {
        assertOverrideError(field: "tasks", containing: "there are 2 tasks") {
            try decode(twoTasks, ["tasks.2.weight=1"])
        }
        assertOverrideError(field: "tasks", containing: "no task named 'big' (tasks: small, aligned)") {
            try decode(twoTasks, ["tasks.big.weight=1"])
        }
        assertOverrideError(field: "tasks", containing: "no `tasks:` list") {
            try decode("model: m\n", ["tasks.0.weight=1"])
        }
        for unknown in ["tasks.0.colour", "tasks.0.weight.x", "tasks.0.reward.size", "tasks.0.prompt.x"] {
            assertOverrideError(field: unknown, containing: "unknown setting") {
                try decode(twoTasks, [unknown + "=1"])
            }
        }
    }

    func testWithoutTasksTheRunIsOneTaskOfTheTopLevelPromptAndReward() throws {
        let c = try decode("prompt: shapes\nreward: shapes_alignment\n")
        XCTAssertNil(c.tasks)
        XCTAssertFalse(c.isMultiTask)
        XCTAssertEqual(c.multiTaskUpdate, .sequential, "the default")
        XCTAssertEqual(
            c.effectiveTasks,
            [
                .init(
                    name: "main", prompt: .init(name: "shapes"),
                    reward: .init(name: "shapes_alignment"), weight: 1)
            ])
        // The saved file of a single-task run has no multi-task keys.
        let yaml = c.yamlString()
        XCTAssertFalse(yaml.contains("tasks"), yaml)
        XCTAssertTrue(yaml.contains("prompt: shapes\n") && yaml.contains("reward: shapes_alignment\n"), yaml)
    }

    func testSavedYAMLOfAMultiTaskRunReadsBackTheSame() throws {
        let c = try decode(twoTasks)
        let yaml = c.yamlString()
        XCTAssertTrue(yaml.contains("multi_task_update: weighted_sum\n"), yaml)
        XCTAssertTrue(yaml.contains("weight: 0.5\n"), yaml)
        // The unused top-level prompt and reward are left out, or the file would not load.
        XCTAssertFalse(yaml.contains("\nprompt:"), yaml)
        XCTAssertFalse(yaml.contains("\nreward:"), yaml)
        XCTAssertEqual(try decode(yaml), c)
    }

    func testTheExampleTrainsTwoShapesTasks() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
                "configs/shapes-multitask.yaml")
        let c = try TrainingConfiguration.load(yaml: url).validate(knownRewards: testRewardNames)
        XCTAssertEqual(c.tasks?.map(\.reward.name), ["jpeg_compressibility", "shapes_alignment"])
        XCTAssertEqual(c.tasks?.map(\.prompt.name), ["shapes", "shapes"])
        XCTAssertEqual(c.multiTaskUpdate, .sequential)
    }

    // MARK: errors, each naming its field

    func testAnEmptyListIsRefused() throws {
        let c = try decode("model: m\ntasks: []\n")
        assertConfigurationError(field: "tasks") { try c.validate(knownRewards: testRewardNames) }
    }

    func testDuplicateNamesAreRefused() throws {
        var c = try decode(twoTasks)
        c.tasks![1].name = "small"
        let error = assertConfigurationError(field: "tasks.1.name") { try c.validate(knownRewards: testRewardNames) }
        XCTAssertTrue(error?.message.contains("duplicate") == true, "\(String(describing: error))")
    }

    func testNamesMustBeSafeForFoldersAndMetrics() throws {
        for bad in ["", "a/b", "two words", "..", "é"] {
            var c = try decode(twoTasks)
            c.tasks![0].name = bad
            assertConfigurationError(field: "tasks.0.name") { try c.validate(knownRewards: testRewardNames) }
        }
        var c = try decode(twoTasks)
        c.tasks![0].name = "Task_2-b"
        XCTAssertNoThrow(try c.validate(knownRewards: testRewardNames))
    }

    func testANameIsRequired() {
        assertConfigurationError(field: "tasks.0.name") {
            try self.decode("tasks:\n  - {prompt: shapes, reward: jpeg_compressibility}\n")
        }
    }

    func testWeightsMustBePositiveAndFinite() throws {
        for bad in ["0", "-1", ".inf", ".nan"] {
            let c = try decode(twoTasks.replacingOccurrences(of: "weight: 0.5", with: "weight: \(bad)"))
            assertConfigurationError(field: "tasks.1.weight") { try c.validate(knownRewards: testRewardNames) }
        }
    }

    func testATopLevelPromptOrRewardBesideTasksIsRefused() throws {
        assertConfigurationError(field: "prompt") { try self.decode("prompt: shapes\n" + self.twoTasks) }
        assertConfigurationError(field: "reward") { try self.decode("reward: shapes_alignment\n" + self.twoTasks) }
        // Made in code rather than read: the validation sees a top-level value that is not the default.
        var c = try decode(twoTasks)
        c.reward = .init(name: "aesthetic")
        assertConfigurationError(field: "reward") { try c.validate(knownRewards: testRewardNames) }
    }

    func testUnknownKeysInATaskAndUnknownUpdateModesAreRefused() {
        assertConfigurationError(field: "tasks.0.wieght") {
            try self.decode("tasks:\n  - {name: a, wieght: 2}\n")
        }
        assertConfigurationError(field: "multi_task_update") {
            try self.decode(self.twoTasks, ["multi_task_update=mixed"])
        }
    }

    func testEachTasksPromptAndRewardAreChecked() throws {
        var unknownReward = try decode(twoTasks)
        unknownReward.tasks![1].reward = .init(name: "sharpness")
        assertConfigurationError(field: "tasks.1.reward") { try unknownReward.validate(knownRewards: testRewardNames) }
        var unknownPrompts = try decode(twoTasks)
        unknownPrompts.tasks![0].prompt = .init(name: "no_such_set")
        assertConfigurationError(field: "tasks.0.prompt") { try unknownPrompts.validate(knownRewards: testRewardNames) }
    }

    func testTasksNeedAnAdvantageBasedAlgorithm() throws {
        let c = try decode(twoTasks, ["train.algorithm=rwr"])
        assertConfigurationError(field: "train.algorithm") { try c.validate(knownRewards: testRewardNames) }
        XCTAssertNoThrow(try decode(twoTasks, ["train.algorithm=ddpo_sf"]).validate(knownRewards: testRewardNames))
    }
}
