import Foundation
import Torch
import XCTest

/// The golden pipelines written by scripts/golden/sd_pipelines.py (tiny random SD 1.x
/// and 2.x folders with reference outputs of diffusers), in Tests/Fixtures, shared by
/// several test targets (found through #filePath, not as resources).
public enum Fixtures {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    public static func pipeline(_ name: String) -> URL { root.appendingPathComponent(name) }

    /// One tensor of a pipeline's reference.safetensors.
    public static func reference(_ pipeline: String, _ name: String) throws -> Tensor {
        try SafetensorsFile(url: Self.pipeline(pipeline).appendingPathComponent("reference.safetensors"))
            .tensor(named: name)
    }

    /// A fresh temporary folder, removed when the test ends.
    public static func temporaryDirectory(_ test: XCTestCase, prefix: String = "swift-ddpo-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

/// The largest absolute difference between two tensors, compared in float64.
public func maxAbsDifference(_ a: Tensor, _ b: Tensor, file: StaticString = #filePath, line: UInt = #line) -> Double {
    XCTAssertEqual(a.shape, b.shape, file: file, line: line)
    return (a.to(dtype: .float64) - b.to(dtype: .float64)).abs().amax().item()
}
