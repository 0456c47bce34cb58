import ArgumentParser
import DDPO
import Foundation
import Logging
import Torch

@main
struct DDPOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ddpo",
        abstract: "Fine-tune text-to-image diffusion models with reinforcement learning (DDPO).",
        // Shown by the help's --version line; `main` prints the full report itself.
        version: Version.swiftDDPO,
        subcommands: [
            SampleCommand.self, TrainCommand.self, EvaluateCommand.self, ReportCommand.self,
            PretrainCommand.self, ExperimentCommand.self, CompareCommand.self, ExportCommand.self,
            ConfigCommand.self, LabelCommand.self
        ])

    /// The argument parser's `main`, with three things before it: `--version` reports
    /// libtorch and the devices as well, a misspelt command or option is named with
    /// the likely one, and `DDPO_PARSE_ONLY=1` stops after parsing and checking.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["--version"] {
            print(Version.report())
            return
        }
        let commands = configuration.subcommands.map { $0._commandName } + ["help"]
        if let message = UnknownCommand.message(arguments, commands: commands) {
            failUsage(message, help: "ddpo --help")
        }
        if let name = arguments.first,
            let command = configuration.subcommands.first(where: { $0._commandName == name }),
            let message = UnknownOption.message(arguments, command: command)
        {
            failUsage(message, help: "ddpo \(name) --help")
        }
        guard ParseOnlyMode.isRequested else {
            await main(nil)
            return
        }
        do {
            let command = try await asyncParseAsRoot(arguments)
            let checked = try ParseOnlyMode.check(command)
            FileHandle.standardError.write(Data("\(ParseOnlyMode.variable): \(checked) valid; not run\n".utf8))
        } catch {
            exit(withError: error)
        }
    }

    /// A misspelt name, as the argument parser reports usage errors (status 64,
    /// EX_USAGE) but pointing at the help of the command concerned, not at the top
    /// level's usage line.
    private static func failUsage(_ message: String, help: String) -> Never {
        FileHandle.standardError.write(Data("Error: \(message)\n  See '\(help)' for more information.\n".utf8))
        Foundation.exit(ExitCode.validationFailure.rawValue)
    }
}

/// Options every command that runs a model shares.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "Device: cpu, cuda or cuda:N.")
    var device: String = "cpu"

    @Option(help: "Weights dtype: float32, float16 or bfloat16.")
    var dtype: String = "float32"

    @Option(help: "libtorch intra-op threads (default: libtorch's choice).")
    var threads: Int?

    func validate() throws {
        guard Device(device) != nil else {
            throw ValidationError("--device must be cpu, cuda or cuda:N, got '\(device)'")
        }
        guard parsedDType != nil else {
            throw ValidationError("--dtype must be float32, float16 or bfloat16, got '\(dtype)'")
        }
        if let threads, !(1...TrainingConfiguration.maximumThreads).contains(threads) {
            throw ValidationError("--threads must be 1...\(TrainingConfiguration.maximumThreads), got \(threads)")
        }
    }

    var parsedDType: DType? {
        switch dtype {
        case "float32": return .float32
        case "float16": return .float16
        case "bfloat16": return .bfloat16
        default: return nil
        }
    }

    /// Applies the thread count and checks the device exists.
    func prepare() throws -> (Device, DType) {
        if let threads { Runtime.threadCount = threads }
        let target = Device(device)!
        do { try target.checkAvailable() } catch { throw CommandError("--device \(device): \(error)") }
        return (target, parsedDType!)
    }
}

/// Logging goes to stderr; only this executable configures it.
enum Logs {
    static let bootstrap: Void = {
        LoggingSystem.bootstrap { label in
            ConsoleLogHandler(
                label: label,
                logLevel: ProcessInfo.processInfo.environment["DDPO_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) }
                    ?? .info)
        }
    }()

    static func logger(_ label: String) -> Logger {
        _ = bootstrap
        return Logger(label: label)
    }
}

/// Progress printed to stdout must show up line by line also when stdout is a file
/// or a pipe (a log of a long `pretrain`), where the C library buffers whole blocks.
enum StandardOutput {
    static func lineBuffered() {
        setvbuf(stdout, nil, _IOLBF, 0)
    }
}
