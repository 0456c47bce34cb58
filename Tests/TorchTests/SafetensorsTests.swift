import Files
import Foundation
import XCTest

@testable import Torch

#if canImport(Glibc)
    import Glibc
#endif

final class SafetensorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "safetensors-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Builds a safetensors file by hand: header JSON text + raw data bytes.
    private func writeRaw(_ name: String, header: String, data: [UInt8], declaredLength: UInt64? = nil) throws -> URL {
        var bytes: [UInt8] = []
        var length = (declaredLength ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array(header.utf8))
        bytes.append(contentsOf: data)
        let url = file(name)
        try Data(bytes).write(to: url)
        return url
    }

    private func assertError(_ url: URL, contains fragment: String, file: StaticString = #filePath, line: UInt = #line)
    {
        XCTAssertThrowsError(try SafetensorsFile(url: url), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(url.path), "error does not name the file: \(text)", file: file, line: line)
            XCTAssertTrue(text.contains(fragment), "expected '\(fragment)' in: \(text)", file: file, line: line)
        }
    }

    func testRoundTripOfEveryDType() throws {
        let tensors: [String: Tensor] = [
            "f32": Tensor([1.5, -2.25, 3] as [Float], shape: [3, 1]),
            "f64": Tensor([1e300, -0.5] as [Double]),
            "f16": Tensor([1.5, -2.25, 3, 0.125] as [Float]).to(dtype: .float16).reshaped([2, 2]),
            "bf16": Tensor([1.5, -2.25, 3] as [Float]).to(dtype: .bfloat16),
            "i64": Tensor([Int64.max, Int64.min, 0]),
            "i32": Tensor([Int32.max, -7] as [Int32]),
            "u8": Tensor([0, 255, 128] as [UInt8]),
            "bool": Tensor([true, false, true]),
            "scalar": Tensor(scalar: 4.5),
            "empty": Tensor.zeros([0, 3])
        ]
        let url = file("all.safetensors")
        try Safetensors.save(tensors, to: url, metadata: ["format": "pt", "note": "unicode ✓"])
        let loaded = try SafetensorsFile(url: url)
        XCTAssertEqual(loaded.metadata, ["format": "pt", "note": "unicode ✓"])
        XCTAssertEqual(Set(loaded.tensorNames), Set(tensors.keys))
        for (name, original) in tensors {
            let back = try loaded.tensor(named: name)
            XCTAssertEqual(back.dtype, original.dtype, name)
            XCTAssertEqual(back.shape, original.shape, name)
            XCTAssertEqual(back.bytes(), original.bytes(), name)
        }
        XCTAssertThrowsError(try loaded.tensor(named: "nope")) { error in
            XCTAssertTrue("\(error)".contains("no tensor named 'nope'"))
        }
    }

    func testHeaderIsAlignedAndTensorsAreZeroCopyViews() throws {
        let url = file("aligned.safetensors")
        try Safetensors.save(["a": Tensor([1, 2, 3] as [Float]), "b": Tensor([Int64(5)]), "c": Tensor([true])], to: url)
        let bytes = try Data(contentsOf: url)
        let headerLength = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual(headerLength % 8, 0)
        // Wider dtypes come first so every tensor stays aligned.
        let entries = try SafetensorsFile(url: url).entries
        XCTAssertEqual(entries.map(\.name), ["b", "a", "c"])
    }

    func testLoadedTensorsOutliveTheFileObjectAndDoNotWriteBack() throws {
        let url = file("mapped.safetensors")
        try Safetensors.save(["w": Tensor([1, 2, 3, 4] as [Float])], to: url)
        var tensor: Tensor? = try SafetensorsFile(url: url).tensor(named: "w")
        // The SafetensorsFile is gone; the mapping must still be alive.
        XCTAssertEqual(tensor!.toArray(Float.self), [1, 2, 3, 4])
        tensor!.fill(9)
        XCTAssertEqual(tensor!.toArray(Float.self), [9, 9, 9, 9])
        tensor = nil
        XCTAssertEqual(try Safetensors.load(url)["w"]!.toArray(Float.self), [1, 2, 3, 4])
    }

    func testReadsFixtureWrittenByPython() throws {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "torch_ops", withExtension: "safetensors", subdirectory: "Fixtures"))
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.metadata["torch"].map { $0.hasPrefix("2.15") }, true)
        let values = try file.tensor(named: "int64_values.out")
        XCTAssertEqual(values.toArray(Int64.self), [0, -1, 1 << 40, -(1 << 62), Int64.max])
    }

    func testMissingFile() {
        assertError(file("absent.safetensors"), contains: "cannot open")
    }

    func testTruncatedBeforeHeaderLength() throws {
        let url = file("short.safetensors")
        try Data([1, 2, 3]).write(to: url)
        assertError(url, contains: "truncated")
    }

    func testHeaderLongerThanFile() throws {
        let url = try writeRaw("long.safetensors", header: "{}", data: [], declaredLength: 500)
        assertError(url, contains: "truncated")
    }

    func testHeaderIsNotJSON() throws {
        let url = try writeRaw("json.safetensors", header: "{not json", data: [])
        assertError(url, contains: "bad safetensors header")
    }

    func testHeaderIsNotAnObject() throws {
        let url = try writeRaw("array.safetensors", header: "[1, 2]", data: [])
        assertError(url, contains: "not a JSON object")
    }

    func testOffsetPastTheEnd() throws {
        let header = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
        let url = try writeRaw("past.safetensors", header: header, data: [UInt8](repeating: 0, count: 8))
        assertError(url, contains: "past the end")
    }

    func testRangeThatDoesNotMatchTheShape() throws {
        let header = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
        let url = try writeRaw("size.safetensors", header: header, data: [UInt8](repeating: 0, count: 8))
        assertError(url, contains: "does not fit")
    }

    func testOverlappingRanges() throws {
        let header =
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let url = try writeRaw("overlap.safetensors", header: header, data: [UInt8](repeating: 0, count: 12))
        assertError(url, contains: "overlap")
    }

    func testUnknownDType() throws {
        let header = #"{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#
        let url = try writeRaw("dtype.safetensors", header: header, data: [0, 0])
        assertError(url, contains: "unknown dtype 'F8_E4M3'")
    }

    func testMalformedShape() throws {
        let header = #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#
        let url = try writeRaw("shape.safetensors", header: header, data: [0, 0, 0, 0])
        assertError(url, contains: "shape")
    }

    func testCorruptedRealFileIsAnErrorNotACrash() throws {
        let url = file("model.safetensors")
        try Safetensors.save(["w": Tensor.ones([16, 16]), "b": Tensor.zeros([16])], to: url)
        var bytes = [UInt8](try Data(contentsOf: url))
        // Cut the data section short, as an interrupted download would.
        bytes.removeLast(100)
        try Data(bytes).write(to: url)
        assertError(url, contains: "past the end")
        // Overwrite the header with garbage.
        for i in 8..<24 { bytes[i] = 0xFF }
        try Data(bytes).write(to: url)
        assertError(url, contains: "bad safetensors header")
    }

    func testSaveIntoMissingDirectoryNamesTheFile() {
        let url = directory.appendingPathComponent("no/such/dir/out.safetensors")
        XCTAssertThrowsError(try Safetensors.save(["a": Tensor.ones([2])], to: url)) { error in
            XCTAssertTrue("\(error)".contains(url.path), "\(error)")
        }
    }

    func testFailedAtomicWriteKeepsThePreviousFile() throws {
        let url = file("keep.safetensors")
        try Safetensors.save(["a": Tensor([1, 2] as [Float])], to: url)
        struct Interrupted: Error {}
        XCTAssertThrowsError(
            try AtomicFile.write(path: url.path) { sink in
                try sink.write([1, 2, 3])
                throw Interrupted()
            })
        XCTAssertEqual(try Safetensors.load(url)["a"]!.toArray(Float.self), [1, 2])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.contains(".tmp-")
        }
        XCTAssertEqual(leftovers, [])
    }
}
