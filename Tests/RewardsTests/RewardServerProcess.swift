import Foundation
import XCTest

/// scripts/reward_server.py running as a child process on a free loopback port.
/// Tests stop it in tearDown; `deinit` stops it too, so no server outlives a test.
final class RewardServerProcess {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/reward_server.py")

    let process = Process()
    let port: Int

    var url: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    /// Starts `python3 scripts/reward_server.py --mode MODE --port 0 ARGUMENTS`.
    convenience init(mode: String, arguments: [String] = []) throws {
        try self.init(arguments: ["--mode", mode] + arguments)
    }

    /// Starts `python3 scripts/reward_server.py --port 0 ARGUMENTS` (or with `python`,
    /// e.g. a virtual environment's) and reads the port from its first line. Skips the
    /// test when there is no python3.
    init(arguments: [String], python: URL? = nil) throws {
        let python = try python ?? Self.python()
        process.executableURL = python
        process.arguments = [Self.script.path, "--port", "0"] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        // The server prints the port, then nothing more on stdout, so the pipe never fills.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // EOF: it exited (its error went to stderr)
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            process.terminate()
            throw StartError(
                message:
                    "reward_server.py \(arguments.joined(separator: " ")) did not start (printed \"\(String(decoding: line, as: UTF8.self))\")"
            )
        }
        self.port = port
    }

    struct StartError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Kills the server at once (SIGKILL: like a crash, and it cannot be blocked or ignored).
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }

    static func python() throws -> URL {
        guard let python = findExecutable("python3") else {
            throw XCTSkip("python3 is not on PATH; the remote reward tests need it")
        }
        return python
    }

    /// Whether `python3 -c "import MODULE"` (or `python`'s) succeeds.
    static func pythonCanImport(_ module: String, python: URL? = nil) throws -> Bool {
        let process = Process()
        process.executableURL = try python ?? Self.python()
        process.arguments = ["-c", "import \(module)"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    private static func findExecutable(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}
