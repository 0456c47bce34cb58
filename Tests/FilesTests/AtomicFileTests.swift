import Foundation
import XCTest

@testable import Files

final class AtomicFileTests: XCTestCase {
    func testWrittenFileHasTheBytesAndNoTemporaryIsLeft() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-file-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out.bin").path
        try AtomicFile.write(path: path, bytes: [1, 2, 3])
        try AtomicFile.write(path: path, bytes: [4, 5])
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), [4, 5])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["out.bin"])
    }

    func testFullDiskIsReportedWithItsCause() throws {
        // /dev/full fails every write with ENOSPC; the error must say so.
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        let sinkError: Error? = {
            let fd = open("/dev/full", O_WRONLY)
            defer { close(fd) }
            do {
                try AtomicFile.Sink(fd: fd, path: "/dev/full").write([1, 2, 3])
                return nil
            } catch { return error }
        }()
        XCTAssertTrue(
            "\(String(describing: sinkError))".contains("No space left on device"),
            "\(String(describing: sinkError))")
    }
}
