import DDPO
import Foundation
import ShapesWorld

/// A training configuration checked as far as it can be without loading a model:
/// the file read with its `--set` overrides, validated against the catalogue (names
/// of rewards and prompt sets), the model folder present and prompt files readable.
/// `ddpo config --check` prints the result; `DDPO_PARSE_ONLY=1 ddpo train` stops
/// after it (docs/configuration.md; the tests of documented commands use it).
enum ConfigurationCheck {
    static func load(file: String, overrides: [String]) throws -> TrainingConfiguration {
        let configuration = try TrainingConfiguration.load(yaml: URL(fileURLWithPath: file), overrides: overrides)
        let catalogue = Catalogue.withShapesWorld(model: configuration.model)
        try configuration.validate(catalogue: catalogue)
        // Validation checks names, not paths: without this a missing model folder
        // shows only after the trainer has started.
        let index = URL(fileURLWithPath: configuration.model).appendingPathComponent("model_index.json")
        guard FileManager.default.fileExists(atPath: index.path) else {
            throw ConfigurationError(
                field: "model",
                message: "'\(configuration.model)' is not a diffusers pipeline folder (no model_index.json)")
        }
        // Reads prompt files (prompt.file, each task's), the one part of the prompt sets
        // that validation leaves to the trainer.
        for task in configuration.effectiveTasks {
            _ = try catalogue.promptSets.make(task.prompt)
        }
        return configuration
    }
}
