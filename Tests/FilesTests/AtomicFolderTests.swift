import Foundation
import XCTest

@testable import Files

final class AtomicFolderTests: XCTestCase {
    private var parent: URL!

    override func setUpWithError() throws {
        parent = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-folder-\(UUID())")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: parent)
    }

    private func contents(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    func testWritesANewFolderAndReplacesAnOldOneWhole() throws {
        let target = parent.appendingPathComponent("model")
        try AtomicFolder.write(to: target) { try Data("1".utf8).write(to: $0.appendingPathComponent("a")) }
        XCTAssertEqual(try contents(target), ["a"])
        try AtomicFolder.write(to: target) { try Data("2".utf8).write(to: $0.appendingPathComponent("b")) }
        XCTAssertEqual(try contents(target), ["b"], "the old folder's files are gone with it")
        XCTAssertEqual(try contents(parent), ["model"], "no temporary or old folder is left beside it")
    }

    func testAFailingBodyLeavesTheOldFolderAndNoTemporaryOne() throws {
        struct Failure: Error {}
        let target = parent.appendingPathComponent("model")
        try AtomicFolder.write(to: target) { try Data("1".utf8).write(to: $0.appendingPathComponent("a")) }
        XCTAssertThrowsError(
            try AtomicFolder.write(to: target) { folder in
                try Data("2".utf8).write(to: folder.appendingPathComponent("b"))
                throw Failure()
            }
        ) { XCTAssertTrue($0 is Failure) }
        XCTAssertEqual(try contents(target), ["a"])
        XCTAssertEqual(try contents(parent), ["model"])
    }
}
