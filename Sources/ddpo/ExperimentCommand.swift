import ArgumentParser
import DDPO
import Foundation
import Logging
import Reports

/// The paper's comparison in miniature: one configuration trained with several
/// methods and seeds, then compared at equal numbers of reward queries.
struct ExperimentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Train one configuration with several algorithms and seeds, then compare them.",
        // The parser would list every option on one line, past the help's width.
        usage: "ddpo experiment --config <config> [<options>]",
        discussion: """
            Each (algorithm, seed) is an ordinary run in <log_dir>/<name>/<algorithm>-seed<seed>/ with the \
            same samples per epoch and epochs, so every method queries the reward equally often. Finished \
            runs are kept, interrupted ones resumed, so the command can be repeated until it completes. \
            Then writes <log_dir>/<name>/comparison.html (reward against reward queries, one line per \
            algorithm, mean ± standard error over seeds), comparison.md (the table) and comparison.json.
            """)

    @Option(help: "YAML configuration every run starts from (see configs/).")
    var config: String

    @Option(name: .customLong("set"), help: "Override a field of every run, e.g. --set epochs=10 (repeatable).")
    var overrides: [String] = []

    @Option(help: "Comma-separated train.algorithm values.")
    var algorithms: String = "ddpo_is,ddpo_sf,rwr"

    @Option(help: "Comma-separated seeds.")
    var seeds: String = "0,1,2"

    @Option(help: "The experiment's folder name under log_dir (default: the config file's name).")
    var name: String?

    @Flag(help: "Only rebuild the comparison from the runs already there.")
    var compareOnly = false

    var algorithmList: [String] { algorithms.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    var seedList: [UInt64] {
        seeds.split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
    }

    func validate() throws {
        for algorithm in algorithmList where TrainingAlgorithm(rawValue: algorithm) == nil {
            throw ValidationError(
                "--algorithms: unknown algorithm '\(algorithm)' (valid: "
                    + TrainingAlgorithm.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        guard !algorithmList.isEmpty else { throw ValidationError("--algorithms is empty") }
        guard seedList.count == seeds.split(separator: ",").count, !seedList.isEmpty else {
            throw ValidationError("--seeds must be comma-separated non-negative integers, got '\(seeds)'")
        }
    }

    func run() async throws {
        let logger = Logs.logger("ddpo.experiment")
        let base = try TrainingConfiguration.load(yaml: URL(fileURLWithPath: config), overrides: overrides)
        let experimentName = name ?? URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
        let directory = URL(fileURLWithPath: base.logDir).appendingPathComponent(experimentName)
        var runDirectories: [URL] = []
        for algorithm in algorithmList {
            for seed in seedList {
                var configuration = try TrainingConfiguration.load(
                    yaml: URL(fileURLWithPath: config),
                    overrides: overrides + [
                        "train.algorithm=\(algorithm)", "seed=\(seed)",
                        "run_name=\(algorithm)-seed\(seed)", "log_dir=\(directory.path)"
                    ])
                let runDirectory = configuration.runDirectory
                runDirectories.append(runDirectory)
                if compareOnly { continue }
                if let run = try? RunFolder.read(runDirectory), RunSummary(run).isFinished {
                    logger.info("finished already, kept", metadata: ["run": "\(runDirectory.path)"])
                    continue
                }
                let store = CheckpointStore(runDirectory: runDirectory, kept: configuration.checkpointsKept)
                if !(try store.checkpoints().isEmpty) {
                    configuration.resume = runDirectory.path
                } else if FileManager.default.fileExists(atPath: runDirectory.path) {
                    // Stopped before its first checkpoint: nothing to continue from, start it again.
                    try FileManager.default.removeItem(at: runDirectory)
                }
                logger.info(
                    "run",
                    metadata: [
                        "algorithm": "\(algorithm)", "seed": "\(seed)",
                        "resume": "\(configuration.resume != nil)"
                    ])
                try await TrainCommand.train(configuration, logger: Logs.logger("ddpo.train"))
            }
        }
        let runs = runDirectories.compactMap { try? RunFolder.read($0) }
        let comparison = ExperimentComparison(title: "Experiment \(experimentName)", runs: runs)
        try comparison.write(to: directory)
        print(comparison.markdown())
        print("wrote \(directory.appendingPathComponent("comparison.html").path)")
    }
}
