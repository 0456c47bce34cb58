import XCTest

@testable import DDPO

/// The variables torchrun, `ddpo train --nproc`, Slurm (through scripts/ddpo-slurm)
/// and Kubernetes set: read strictly, so a half-configured launch never silently
/// trains as one process.
final class LaunchEnvironmentTests: XCTestCase {
    private let full = [
        "RANK": "3", "WORLD_SIZE": "8", "LOCAL_RANK": "1", "MASTER_ADDR": "node-0", "MASTER_PORT": "29500"
    ]

    func testNoVariablesIsOneProcess() throws {
        XCTAssertNil(try LaunchEnvironment.read([:]))
        XCTAssertNil(try LaunchEnvironment.read(["MASTER_ADDR": "x", "LOCAL_RANK": "0", "PATH": "/bin"]))
    }

    func testAllVariablesAreRead() throws {
        XCTAssertEqual(
            try LaunchEnvironment.read(full),
            LaunchEnvironment(rank: 3, worldSize: 8, localRank: 1, masterAddress: "node-0", masterPort: 29500))
        var withoutLocal = full
        withoutLocal["LOCAL_RANK"] = nil
        XCTAssertEqual(try LaunchEnvironment.read(withoutLocal)?.localRank, 3, "LOCAL_RANK defaults to RANK")
    }

    /// What `ddpo train --nproc` gives each rank reads back as that rank.
    func testLocalVariablesReadBackAsTheRank() throws {
        XCTAssertEqual(
            try LaunchEnvironment.read(LaunchEnvironment.localVariables(rank: 1, worldSize: 3, port: 1234)),
            LaunchEnvironment(rank: 1, worldSize: 3, localRank: 1, masterAddress: "127.0.0.1", masterPort: 1234))
    }

    func testAWorldOfOneNeedsNoRendezvous() throws {
        let launch = try XCTUnwrap(try LaunchEnvironment.read(["RANK": "0", "WORLD_SIZE": "1"]))
        XCTAssertEqual(launch.worldSize, 1)
        XCTAssertEqual(launch.masterAddress, "127.0.0.1")
    }

    private func assertRejected(
        _ changes: [String: String?], naming variable: String, _ fragment: String, line: UInt = #line
    ) {
        var environment = full
        for (key, value) in changes { environment[key] = value }
        XCTAssertThrowsError(try LaunchEnvironment.read(environment), line: line) { error in
            let error = error as? LaunchEnvironmentError
            XCTAssertEqual(error?.variable, variable, line: line)
            XCTAssertTrue(
                "\(error.map { "\($0)" } ?? "")".contains(fragment), "\(String(describing: error))", line: line)
        }
    }

    func testMissingOrMalformedVariablesAreNamed() {
        assertRejected(["WORLD_SIZE": nil], naming: "WORLD_SIZE", "is not set")
        assertRejected(["RANK": nil], naming: "RANK", "is not set")
        assertRejected(["MASTER_ADDR": nil], naming: "MASTER_ADDR", "is not set")
        assertRejected(["MASTER_PORT": nil], naming: "MASTER_PORT", "is not set")
        assertRejected(["RANK": "8"], naming: "RANK", "below WORLD_SIZE")
        assertRejected(["RANK": "-1"], naming: "RANK", "integer >= 0")
        assertRejected(["WORLD_SIZE": "0"], naming: "WORLD_SIZE", "integer >= 1")
        assertRejected(["WORLD_SIZE": "two"], naming: "WORLD_SIZE", "got 'two'")
        assertRejected(["LOCAL_RANK": "x"], naming: "LOCAL_RANK", "got 'x'")
        assertRejected(["MASTER_PORT": "70000"], naming: "MASTER_PORT", "1-65535")
        assertRejected(["MASTER_PORT": "0"], naming: "MASTER_PORT", "integer >= 1")
    }
}
