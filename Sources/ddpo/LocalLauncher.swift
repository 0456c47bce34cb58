import DDPO
import Foundation
import Logging
import Torch

#if canImport(Glibc)
    import Glibc
#endif

/// `ddpo train --nproc N`: starts N ranks of the same command on this machine, as
/// `torchrun --standalone --nproc-per-node N` does, with no Python: each child gets
/// `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `LOCAL_WORLD_SIZE`, `MASTER_ADDR=127.0.0.1` and
/// a free `MASTER_PORT`, and inherits this terminal.
///
/// When a rank fails, the others stop on their own at their next collective (a
/// peer's closed connection is noticed at once) and say where; those still running
/// after a grace period are terminated, so the launcher never waits on a hung rank.
enum LocalLauncher {
    /// How long the other ranks get to report their own error before they are terminated.
    static let gracePeriod: TimeInterval = 15

    /// Runs `arguments` (without `--nproc`) as `processes` ranks; returns when all have
    /// ended. Throws naming the first rank that failed and how.
    static func run(processes: Int, arguments: [String], logger: Logger) throws {
        let port = try ProcessGroup.freeLoopbackPort()
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var children: [Process] = []
        for rank in 0..<processes {
            let child = Process()
            child.executableURL = executable
            child.arguments = arguments
            child.environment = ProcessInfo.processInfo.environment.merging(
                LaunchEnvironment.localVariables(rank: rank, worldSize: processes, port: port)
            ) { _, new in new }
            do {
                try child.run()
            } catch {
                children.forEach { $0.terminate() }
                throw LaunchError(message: "cannot start rank \(rank) (\(executable.path)): \(error)")
            }
            children.append(child)
        }
        logger.info(
            "launched",
            metadata: [
                "ranks": "\(processes)", "master": "127.0.0.1:\(port)",
                "pids": "\(children.map(\.processIdentifier))"
            ])
        forwardTerminationSignals(to: children)

        var firstFailure: (rank: Int, how: String)?
        var failedAt: Date?
        var terminated = false
        while children.contains(where: \.isRunning) {
            for (rank, child) in children.enumerated() where !child.isRunning && firstFailure == nil {
                if let how = failure(of: child) {
                    firstFailure = (rank, how)
                    failedAt = Date()
                }
            }
            // TERM after the grace period; KILL a few seconds later, for a rank that is
            // stopped or stuck where TERM cannot reach it.
            if let failedAt {
                let waited = Date().timeIntervalSince(failedAt)
                if waited > gracePeriod + 5 {
                    for child in children where child.isRunning { kill(child.processIdentifier, SIGKILL) }
                } else if waited > gracePeriod && !terminated {
                    for child in children where child.isRunning { child.terminate() }
                    terminated = true
                }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        if firstFailure == nil {
            for (rank, child) in children.enumerated() {
                if let how = failure(of: child) {
                    firstFailure = (rank, how)
                    break
                }
            }
        }
        if let firstFailure {
            throw LaunchError(
                message: "rank \(firstFailure.rank) of \(processes) \(firstFailure.how); the other "
                    + "ranks stopped (their errors are above). Resume with --resume RUN_DIR and the same --nproc")
        }
    }

    /// How a finished rank failed, or nil when it exited with status 0.
    private static func failure(of child: Process) -> String? {
        switch (child.terminationReason, child.terminationStatus) {
        case (.exit, 0): return nil
        case (.exit, let status): return "exited with status \(status)"
        case (.uncaughtSignal, let signal): return "was killed by signal \(signal)"
        @unknown default: return "ended abnormally"
        }
    }

    /// Ctrl-C or a TERM to the launcher reaches every rank (each saves nothing half-way:
    /// checkpoints are atomic), then the launcher reports how they ended.
    private static func forwardTerminationSignals(to children: [Process]) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                for child in children where child.isRunning { kill(child.processIdentifier, signalNumber) }
            }
            source.resume()
            signalSources.append(source)
        }
    }

    nonisolated(unsafe) private static var signalSources: [DispatchSourceSignal] = []
}

/// A launch that could not start, or a rank that failed.
struct LaunchError: Error, CustomStringConvertible {
    var message: String
    var description: String { "ddpo train --nproc: \(message)" }
}
