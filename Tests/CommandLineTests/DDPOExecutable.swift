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

    static func run(_ arguments: [String], in directory: URL? = nil) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: url.path) else { throw NotBuilt() }
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
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
