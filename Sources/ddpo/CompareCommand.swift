import ArgumentParser
import DDPO
import Foundation
import Reports

/// Any finished or unfinished runs side by side, one group per run folder name (or
/// per label): what `ddpo experiment` writes for its own runs, for runs made any way
/// (e.g. the same configuration with and without a regulariser).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare run folders: reward curves, gains and over-optimisation monitors.",
        // The parser would list every option on one line, past the help's width.
        usage: "ddpo compare <runs> ... --out <out> [<options>]",
        discussion: """
            Writes <out>/comparison.html (the training reward against reward queries, the gains table and, \
            when the runs have monitors, the held-out reward, KL to the base model and diversity against \
            epochs), comparison.svg, comparison.md, comparison.json and one monitor-<value>.svg per \
            monitored value. Runs are grouped by --label (one group per run by default: its folder name; `variant` groups \
            <name>-seed<k> folders by <name>); a group of several runs (e.g. seeds) shows their mean.
            """)

    @Argument(help: "Run folders (each with config.yaml and metrics.jsonl).")
    var runs: [String]

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Page title.")
    var title: String = "Comparison"

    @Option(
        help: """
            Group runs by: folder (each run its own group), variant (the folder name without a trailing \
            -seed<k>: the seeds of one variant form a group) or algorithm (train.algorithm).
            """)
    var label: Label = .folder

    @Option(
        name: .customLong("monitor-extra"),
        help: """
            A per-sample extra of the reward to chart beside the monitors, e.g. match_all for shapes_alignment \
            (repeatable).
            """)
    var monitorExtras: [String] = []

    enum Label: String, ExpressibleByArgument, CaseIterable {
        case folder, variant, algorithm
    }

    /// "kl-1e-3-seed42" → "kl-1e-3"; a name without such a suffix is its own variant.
    static func variant(of name: String) -> String {
        guard let range = name.range(of: "-seed", options: .backwards),
            !name[range.upperBound...].isEmpty, name[range.upperBound...].allSatisfy(\.isNumber)
        else { return name }
        return String(name[..<range.lowerBound])
    }

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run folder") }
    }

    func run() throws {
        var folders: [RunFolder] = []
        for path in runs {
            do {
                folders.append(try RunFolder.read(URL(fileURLWithPath: path)))
            } catch {
                // Not a usage problem: the folder is named right but cannot be read.
                throw CommandError("cannot read the run folder '\(path)': \(error)")
            }
        }
        let groupName: (RunFolder) -> String =
            switch label {
            case .folder: { $0.name }
            case .variant: { Self.variant(of: $0.name) }
            case .algorithm: ExperimentComparison.algorithmLabel
            }
        let comparison = ExperimentComparison(
            title: title, runs: folders, monitorExtras: monitorExtras,
            label: groupName)
        let directory = URL(fileURLWithPath: out)
        try comparison.write(to: directory)
        print(comparison.markdown())
        print("wrote \(directory.appendingPathComponent("comparison.html").path)")
    }
}
