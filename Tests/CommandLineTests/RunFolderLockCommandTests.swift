import Foundation
import TestSupport
import XCTest

/// `ddpo train --resume RUN` while another `ddpo train` still trains RUN (issue #20: 11):
/// the second stops at once with an error naming the first's PID; once the first is
/// gone (even killed), the folder can be resumed.
final class RunFolderLockCommandTests: XCTestCase {
    private var runs: URL!
    private let packageRoot = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()

    override func setUpWithError() throws {
        runs = FileManager.default.temporaryDirectory.appendingPathComponent("ddpo-lock-\(UUID())")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: runs)
    }

    func testASecondTrainerOnARunningRunStopsNamingThePID() throws {
        var arguments = ["train", "--config", "configs/tiny-compressibility.yaml"]
        for setting in ["threads=1", "log_dir=\(runs.path)", "run_name=locked", "epochs=1000"] {
            arguments += ["--set", setting]
        }
        let first = try RunningProcess(DDPOExecutable.url.path, arguments, in: packageRoot)
        let lock = runs.appendingPathComponent("locked/.lock")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && first.process.isRunning
            && !((try? String(contentsOf: lock, encoding: .utf8))?.contains("pid ") ?? false)
        {
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertTrue(first.process.isRunning, first.output)
        let run = runs.appendingPathComponent("locked").path
        let second = try DDPOExecutable.run(["train", "--resume", run], in: packageRoot)
        XCTAssertNotEqual(second.status, 0, second.output)
        XCTAssertTrue(second.output.contains("in use by another trainer"), second.output)
        XCTAssertTrue(second.output.contains("pid \(first.process.processIdentifier) "), second.output)
        XCTAssertTrue(first.process.isRunning, "the first trainer goes on: \(first.output)")

        // Killed, it holds nothing: the kernel released the lock (the file stays).
        first.signal(SIGKILL)
        XCTAssertNotNil(first.wait(seconds: 30))
        let third = try DDPOExecutable.run(
            ["train", "--resume", run, "--set", "epochs=1", "--set", "sample.num_steps=2"], in: packageRoot)
        XCTAssertEqual(third.status, 0, third.output)
        XCTAssertFalse(third.output.contains("in use by another trainer"), third.output)
    }
}
