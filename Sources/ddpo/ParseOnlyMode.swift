import ArgumentParser
import Foundation

/// `DDPO_PARSE_ONLY=1 ddpo ...`: parse and validate the arguments, check what can
/// be checked without running (a `train` or `experiment` configuration, as `ddpo
/// config --check` does), then exit 0 without running. Not shown in the help: it
/// exists so that every command the documentation shows can be checked by a test
/// (Tests/CommandLineTests/DocumentedCommandsTests.swift) in milliseconds.
enum ParseOnlyMode {
    static let variable = "DDPO_PARSE_ONLY"

    static var isRequested: Bool { ProcessInfo.processInfo.environment[variable] == "1" }

    /// The checks beyond the command's own `validate()`; returns what was checked,
    /// for the one line the mode prints.
    static func check(_ command: ParsableCommand) throws -> String {
        switch command {
        case let train as TrainCommand:
            // A resumed run's configuration lies in a run folder that may not exist
            // yet where the command is checked: its arguments are parsed only.
            guard let config = train.config, train.resume == nil else { return "arguments" }
            _ = try ConfigurationCheck.load(file: config, overrides: train.overrides)
            return "arguments and configuration \(config)"
        case let experiment as ExperimentCommand:
            _ = try ConfigurationCheck.load(file: experiment.config, overrides: experiment.overrides)
            return "arguments and configuration \(experiment.config)"
        case let sample as SampleCommand:
            if let model = sample.model { try requireModelFolder(model) }
            return "arguments"
        case let evaluate as EvaluateCommand:
            if let model = evaluate.model { try requireModelFolder(model) }
            return "arguments"
        default:
            return "arguments"
        }
    }

    /// A `--model` folder that exists: what loading the model would check first.
    static func requireModelFolder(_ path: String) throws {
        let index = URL(fileURLWithPath: path).appendingPathComponent("model_index.json")
        guard FileManager.default.fileExists(atPath: index.path) else {
            throw CommandError("--model \(path): not a diffusers pipeline folder (no model_index.json)")
        }
    }
}
