import Foundation
import Logging
import XCTest

/// A test case whose runs go to a fresh temporary folder, `runs`, removed after each
/// test (the trainer creates it); the trainer tests start from `tinyRunYAML`.
class TinyRunTestCase: XCTestCase {
    private(set) var runs: URL!
    let logger = Logger(label: "test")

    override func setUpWithError() throws {
        try super.setUpWithError()
        runs = temporaryRunsFolder(String(describing: type(of: self)))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: runs)
        try super.tearDownWithError()
    }
}
