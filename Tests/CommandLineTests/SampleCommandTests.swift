import Foundation
import ImageCodecs
import TestSupport
import XCTest

/// Runs the built `ddpo sample` executable on the tiny SD1 pipeline and compares
/// its PNGs with the ones diffusers wrote for the same seed and settings.
final class SampleCommandTests: XCTestCase {
    /// The folder holding the built products: on Linux the test runner is the
    /// `.xctest` executable itself, built beside `ddpo`.
    static var productsDirectory: URL {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }
        return (bundle?.bundleURL ?? runner).deletingLastPathComponent()
    }

    private func runDDPO(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let executable = Self.productsDirectory.appendingPathComponent("ddpo")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            XCTFail("ddpo executable not built at \(executable.path) (make test builds it)")
            return (-1, "")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testSampleWritesTheSamePNGsAsDiffusers() throws {
        let model = Fixtures.root.appendingPathComponent("tiny-sd1")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-sample-\(UUID())")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try runDDPO([
            "sample", "--model", model.path, "--prompt", "a red circle",
            "--prompt", "two green squares", "--steps", "10", "--guidance", "5", "--eta", "1",
            "--seed", "1234", "--out", out.path, "--threads", "1"
        ])
        XCTAssertEqual(result.status, 0, result.output)
        for index in 0..<2 {
            let ours = try RGBImage(contentsOfPNG: out.appendingPathComponent("sample_\(index).png"))
            let theirs = try RGBImage(contentsOfPNG: model.appendingPathComponent("sample_\(index).png"))
            XCTAssertEqual(ours.width, theirs.width)
            XCTAssertEqual(ours.height, theirs.height)
            let worst = zip(ours.pixels, theirs.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1, "sample_\(index).png: largest 8-bit difference \(worst)")
        }
    }

    /// bf16 autocast changes the images a little: not bitwise equal to diffusers' fp32
    /// PNGs, but close (bf16 keeps about 3 significant digits per op).
    func testMixedPrecisionSamplesAreCloseToFloat32() throws {
        let model = Fixtures.root.appendingPathComponent("tiny-sd1")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-sample-bf16-\(UUID())")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try runDDPO([
            "sample", "--model", model.path, "--prompt", "a red circle",
            "--prompt", "two green squares", "--steps", "10", "--guidance", "5", "--eta", "1",
            "--seed", "1234", "--out", out.path, "--threads", "1", "--mixed-precision", "bf16"
        ])
        XCTAssertEqual(result.status, 0, result.output)
        var differences: [Int] = []
        for index in 0..<2 {
            let ours = try RGBImage(contentsOfPNG: out.appendingPathComponent("sample_\(index).png"))
            let theirs = try RGBImage(contentsOfPNG: model.appendingPathComponent("sample_\(index).png"))
            differences += zip(ours.pixels, theirs.pixels).map { abs(Int($0) - Int($1)) }
        }
        XCTAssertGreaterThan(differences.max() ?? 0, 1, "bf16 must change some pixel by more than fp32 rounding")
        let mean = Double(differences.reduce(0, +)) / Double(differences.count)
        XCTAssertLessThan(mean, 8, "mean 8-bit difference from the fp32 images")
        let bad = try runDDPO([
            "sample", "--model", model.path, "--prompt", "x", "--out", out.path,
            "--mixed-precision", "fp16"
        ])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("--mixed-precision must be no or bf16"), bad.output)
    }

    func testBadModelFolderIsAClearErrorNotACrash() throws {
        let result = try runDDPO(["sample", "--model", "/nonexistent/model", "--prompt", "x", "--out", "/tmp/unused"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("model_index.json"), result.output)
    }

    func testInvalidArgumentsAreRejected() throws {
        // Negative: 0 is allowed (deterministic DDIM, CLIUsabilityTests), below it nothing is.
        let result = try runDDPO(["sample", "--model", "m", "--prompt", "x", "--out", "o", "--eta=-0.1"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("--eta"), result.output)
    }
}
