import Foundation
import XCTest

/// Runs the built `ddpo` executable, as a user would, for tests of the command line.
enum DDPOExecutable {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Both streams, for failure messages.
        var output: String { stdout + stderr }
    }

    /// On Linux the test runner is the `.xctest` executable itself, built beside `ddpo`.
    static var url: URL {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }
        return (bundle?.bundleURL ?? runner).deletingLastPathComponent().appendingPathComponent("ddpo")
    }

    struct NotBuilt: Error, CustomStringConvertible {
        var description: String { "ddpo executable not built at \(DDPOExecutable.url.path) (make test builds it)" }
    }

    /// `environment` is added to this process's own (e.g. DDPO_PARSE_ONLY, COLUMNS).
    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws
        -> Result
    {
        guard FileManager.default.isExecutableFile(atPath: url.path) else { throw NotBuilt() }
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        // stderr goes to a file: two pipes read one after the other can deadlock the child.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-stderr-\(UUID())")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let err = try FileHandle(forWritingTo: errURL)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try err.close()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: try String(contentsOf: errURL, encoding: .utf8))
    }
}

/// A program started in the background (`ddpo` as one rank of a data-parallel run,
/// or a launch script), its output going to a file so that nothing blocks on a full pipe.
final class RunningProcess {
    let process = Process()
    private let outputURL: URL

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil)
        throws
    {
        guard FileManager.default.isExecutableFile(atPath: DDPOExecutable.url.path) else {
            throw DDPOExecutable.NotBuilt()
        }
        outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-output-\(UUID())")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try output.close()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: outputURL)
    }

    /// Both streams so far.
    var output: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }

    /// The exit status once it ended, or nil if it still runs after `seconds`.
    func wait(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }
}
