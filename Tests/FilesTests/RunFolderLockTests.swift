import Files
import Foundation
import XCTest

final class RunFolderLockTests: XCTestCase {
    func testASecondLockOnTheFolderNamesTheHolderUntilReleased() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("run-lock-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try RunFolderLock(folder: folder)
        XCTAssertTrue(first.isHeld)
        XCTAssertThrowsError(try RunFolderLock(folder: folder)) { error in
            guard let busy = error as? RunFolderLock.Busy else { return XCTFail("\(error)") }
            XCTAssertTrue(busy.holder?.hasPrefix("pid \(getpid()) on host ") == true, "\(busy)")
            XCTAssertTrue("\(busy)".contains("in use by another trainer"), "\(busy)")
        }
        first.release()
        XCTAssertFalse(first.isHeld)
        // The file stays; only the lock went.
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(".lock").path))
        let second = try RunFolderLock(folder: folder)
        XCTAssertTrue(second.isHeld)
    }
}
