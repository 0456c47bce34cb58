import ArgumentParser
import DDPO
import Foundation

/// The training configuration without training: every key with its default and
/// meaning (`--defaults`), or one configuration checked and printed whole
/// (`--check FILE`), so a mistake shows before a run's start-up.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "List every configuration key with its default, or check a configuration file.",
        discussion: """
            --defaults prints each key of a training configuration as --set names it (train.learning_rate), \
            its default and its meaning; with --markdown as the table of docs/configuration.md.

            --check FILE loads the file with its --set overrides, validates it as ddpo train would (values, \
            names of rewards and prompt sets, the model folder, prompt files) and prints the effective \
            configuration as YAML, every key included, without loading the model or training.
            """)

    @Flag(help: "Print every configuration key, its default and its meaning.")
    var defaults = false

    @Flag(help: "With --defaults: print a Markdown table (docs/configuration.md).")
    var markdown = false

    @Option(help: "A YAML configuration file to load, validate and print whole.")
    var check: String?

    @Option(name: .customLong("set"), help: "With --check: override a field, e.g. --set epochs=10 (repeatable).")
    var overrides: [String] = []

    func validate() throws {
        guard defaults != (check != nil) else {
            throw ValidationError("give --defaults or --check FILE (one of them)")
        }
        if markdown && !defaults { throw ValidationError("--markdown goes with --defaults") }
        if !overrides.isEmpty && check == nil { throw ValidationError("--set goes with --check FILE") }
    }

    func run() throws {
        if defaults {
            print(markdown ? ConfigurationReference.markdown() : ConfigurationReference.plainText(), terminator: "")
            return
        }
        guard let check else { return }
        let configuration = try ConfigurationCheck.load(file: check, overrides: overrides)
        print(configuration.yamlString(), terminator: "")
        // stdout is the YAML alone (it can be saved and trained on); the verdict goes to stderr.
        FileHandle.standardError.write(Data("\(check): valid\n".utf8))
    }
}
