import ArgumentParser
import DDPO
import Foundation
import Reports

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write RUN_DIR/report.html: a self-contained HTML page about a training run.",
        discussion: """
            Summary, reward / approx_kl / clipfrac / loss charts per epoch, the before and after evaluation \
            grids with each prompt and reward, seconds per phase and config.yaml, in one file with its images \
            embedded (no network needed to open it). ddpo train writes it at the end of a run; this rebuilds \
            it, e.g. for a run still in progress.
            """)

    @Argument(help: "The run folder, e.g. runs/tiny-compressibility.")
    var runDirectory: String

    func run() throws {
        let url = try RunReport.write(runDirectory: URL(fileURLWithPath: runDirectory))
        print(url.path)
    }
}
