import Foundation

/// The git commit of the process's working directory, and whether tracked files
/// differ from it, for `run.json`: which code a run was started from, when it was
/// started from a checkout (as `make demo` is).
///
/// Best effort: no `git`, no repository, a slow or failing `git` all give nil, and
/// nothing is ever thrown, so a run never stops over it. Each command gets
/// `timeout` seconds; `--no-optional-locks` keeps `git` from taking the index lock
/// that an editor or another `git` may hold.
struct WorkingDirectoryRevision: Equatable {
    var commit: String
    /// nil when `git diff` could not tell.
    var isDirty: Bool?

    static func current(timeout: TimeInterval = 2) -> WorkingDirectoryRevision? {
        guard let (status, output) = run(["rev-parse", "HEAD"], timeout: timeout), status == 0 else { return nil }
        let commit = output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard commit.count == 40 || commit.count == 64, commit.allSatisfy(\.isHexDigit) else { return nil }
        // Exit status 1: tracked files differ from HEAD; 0: they do not.
        let diff = run(["diff", "--quiet", "HEAD", "--"], timeout: timeout)?.status
        return WorkingDirectoryRevision(commit: commit, isDirty: diff == 0 ? false : diff == 1 ? true : nil)
    }

    /// Runs `git --no-optional-locks <arguments>`; nil when it cannot start or takes too long.
    private static func run(_ arguments: [String], timeout: TimeInterval) -> (status: Int32, output: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "--no-optional-locks"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return nil
        }
        // Both commands print at most a line, far below a pipe's buffer: reading after the exit cannot block.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
