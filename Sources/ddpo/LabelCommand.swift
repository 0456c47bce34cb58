import ArgumentParser
import Foundation
import Labelling

/// `ddpo label RUN`: the web page where a person answers which of two images of one
/// prompt is better, for a run that trains on human labels (docs/human-labels.md).
struct LabelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label",
        abstract: "Serve a local web page to label pairs of a run's images; the run trains on the labels.",
        // The parser would list every option on one line, past the help's width.
        usage: "ddpo label <run-directory> [--port <port>] [<options>]",
        discussion: """
            Prints the page's URL, with a token that every request must carry, and serves until Ctrl-C. \
            The page shows the newest epoch's pairs that the run published in RUN/preferences/ and writes each \
            answer to RUN/preferences/epoch-N.jsonl, where the run waits for them. It listens on 127.0.0.1 (this \
            machine only): from another machine, forward the port with ssh -L (docs/human-labels.md).
            """)

    @Argument(help: "The run folder, e.g. runs/shapes-human-d3po.")
    var runDirectory: String

    @Option(help: "The address to listen on; 127.0.0.1 accepts connections from this machine only.")
    var host: String = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port; the printed URL has the one chosen).")
    var port: Int = 8470

    @Option(help: "The token the URL carries (default: 128 random bits, new each start).")
    var token: String?

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be 0...65535 (0: any free port), got \(port)")
        }
        guard !host.isEmpty else { throw ValidationError("--host is empty; 127.0.0.1 is this machine only") }
        if let token, let problem = LabellingToken.problem(with: token) {
            throw ValidationError("--token: \(problem)")
        }
    }

    func run() async throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory) else {
            throw CommandError("no run folder '\(runDirectory)': give the folder of a run (e.g. runs/<name>)")
        }
        guard isDirectory.boolValue else {
            throw CommandError("'\(runDirectory)' is a file, not a run folder")
        }
        if !Self.isLoopback(host) {
            FileHandle.standardError.write(
                Data(
                    """
                    warning: --host \(host) accepts connections from other machines: anyone on the network who \
                    learns the URL can label this run, over unencrypted HTTP. An ssh tunnel to 127.0.0.1 keeps \
                    the page on this machine (docs/human-labels.md).

                    """.utf8))
        }
        let chosen = token.flatMap(LabellingToken.init) ?? .random()
        let server = LabellingServer(
            runDirectory: URL(fileURLWithPath: runDirectory), host: host, port: port, token: chosen)
        StandardOutput.lineBuffered()
        let run = runDirectory
        do {
            try await server.run(stopsOnSignals: true, logger: Logs.logger("ddpo.label")) { url in
                print("Label the pairs of \(run) at \(url)")
                fflush(stdout)
            }
        } catch let error as LabellingServerError {
            throw CommandError("\(error); choose another --port (0: any free one) or --host")
        }
    }

    /// 127.0.0.0/8, ::1 and localhost: addresses other machines cannot connect to.
    static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" { return true }
        let parts = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
