import Foundation
import Torch
import XCTest

/// `ProcessGroup` across real processes: each rank is a `process-group-check` (built
/// beside the test bundle) started here, since a collective needs its peers in other
/// processes. The helper checks the numbers itself and prints one line per step; these
/// tests read those lines and time the failure cases.
final class ProcessGroupTests: XCTestCase {
    func testCollectivesAcrossTwoRanks() throws {
        let ranks = try RankProcesses.run(worldSize: 2, scenario: "collectives", timeoutMilliseconds: 30_000)
        for rank in ranks {
            XCTAssertEqual(rank.status, 0, rank.transcript)
            for name in Self.collectiveSteps {
                XCTAssertNotNil(rank.step("ok", name), "rank \(rank.rank) did not pass \(name)\n\(rank.transcript)")
            }
        }
        for rank in ranks {
            if let line = rank.step("time", "allreduce-sum-float32-1M") {
                print("all-reduce (sum) of 1,048,576 float32 across 2 ranks: \(line[2]) s on rank \(rank.rank)")
            }
        }
    }

    func testCollectivesAcrossThreeRanks() throws {
        let ranks = try RankProcesses.run(worldSize: 3, scenario: "collectives", timeoutMilliseconds: 30_000)
        for rank in ranks {
            XCTAssertEqual(rank.status, 0, rank.transcript)
            for name in Self.collectiveSteps {
                XCTAssertNotNil(rank.step("ok", name), "rank \(rank.rank) did not pass \(name)\n\(rank.transcript)")
            }
        }
    }

    /// A rank that exits closes its connections: the survivors' next all-reduce fails at
    /// once, long before the timeout, and says so.
    func testARankThatExitsMakesTheOthersFailAtOnce() throws {
        let timeout = 20_000
        for worldSize in [2, 3] {
            let ranks = try RankProcesses.run(
                worldSize: worldSize, scenario: "exit-early",
                timeoutMilliseconds: timeout)
            XCTAssertEqual(ranks[worldSize - 1].status, 0, ranks[worldSize - 1].transcript)
            for survivor in ranks.dropLast() {
                XCTAssertEqual(survivor.status, 0, survivor.transcript)
                let line = try XCTUnwrap(survivor.step("error", "allreduce-lost-peer"), survivor.transcript)
                let elapsed = try XCTUnwrap(Double(line[2]))
                let message = line[3]
                print(
                    "rank \(survivor.rank) of \(worldSize) after rank \(worldSize - 1) exited, \(line[2]) s: \(message)"
                )
                XCTAssertTrue(
                    message.hasPrefix(
                        "ProcessGroup.allReduce: allreduce failed on rank \(survivor.rank) of "
                            + "\(worldSize) (timeout \(timeout) ms): "), message)
                XCTAssertTrue(Self.lostPeerMessages.contains { message.contains($0) }, message)
                XCTAssertLessThan(
                    elapsed, 5, "a closed connection should fail the collective without waiting for the timeout")
                XCTAssertNotNil(survivor.step("ok", "leave"), survivor.transcript)
            }
        }
    }

    /// A rank that stays alive but stops taking part cannot be told from a slow one:
    /// the others fail when the timeout runs out, not before and not much after.
    func testAStalledRankMakesTheOtherTimeOut() throws {
        let timeout = 2_000
        let ranks = try RankProcesses.run(
            worldSize: 2, scenario: "stall", timeoutMilliseconds: timeout,
            waitFor: [0])  // the stalled rank is killed once rank 0 is done
        let survivor = ranks[0]
        XCTAssertEqual(survivor.status, 0, survivor.transcript)
        let line = try XCTUnwrap(survivor.step("error", "allreduce-lost-peer"), survivor.transcript)
        let elapsed = try XCTUnwrap(Double(line[2]))
        let message = line[3]
        print("rank 0 with rank 1 stalled, \(line[2]) s: \(message)")
        XCTAssertTrue(
            message.hasPrefix("ProcessGroup.allReduce: allreduce failed on rank 0 of 2 (timeout \(timeout) ms): "),
            message)
        XCTAssertTrue(message.lowercased().contains("timed out"), message)
        XCTAssertGreaterThan(elapsed, Double(timeout) / 1000 * 0.9)
        XCTAssertLessThan(elapsed, Double(timeout) / 1000 + 3)
        let leave = try XCTUnwrap(survivor.step("ok", "leave"), survivor.transcript)
        XCTAssertLessThan(try XCTUnwrap(Double(leave[2])), Double(timeout) / 1000 + 3, "leaving hung")
    }

    /// Rank 0 waits for the others for one timeout, then names how many came.
    func testJoiningFailsWhenAPeerNeverComes() throws {
        let timeout = 2_000
        let ranks = try RankProcesses.run(
            worldSize: 2, scenario: "collectives", timeoutMilliseconds: timeout,
            launch: [0])
        let rank0 = ranks[0]
        XCTAssertEqual(rank0.status, 2, rank0.transcript)
        let line = try XCTUnwrap(rank0.step("error", "init"), rank0.transcript)
        let elapsed = try XCTUnwrap(Double(line[2]))
        let message = line[3]
        print("rank 0 alone, \(line[2]) s: \(message)")
        XCTAssertTrue(message.hasPrefix("ProcessGroup.init: process group (rank 0 of 2) at 127.0.0.1:"), message)
        XCTAssertTrue(message.contains("1/2 clients joined"), message)
        XCTAssertLessThan(elapsed, Double(timeout) / 1000 + 4)
    }

    /// A group of one needs no peer: the collectives are identities (this process).
    func testAGroupOfOneInThisProcess() throws {
        let group = try ProcessGroup(port: try RankProcesses.freePort(), rank: 0, worldSize: 1, timeout: .seconds(10))
        XCTAssertEqual(group.rank, 0)
        XCTAssertEqual(group.worldSize, 1)
        let t = Tensor([1.5, -2] as [Float])
        try group.allReduce(t)
        try group.broadcast(t, root: 0)
        let gathered = try group.allGather(t)
        XCTAssertEqual(gathered.count, 1)
        XCTAssertEqual(gathered[0].toArray(Float.self), [1.5, -2])
        XCTAssertEqual(t.toArray(Float.self), [1.5, -2])
        try group.barrier()
        XCTAssertThrowsError(try group.broadcast(t, root: 1)) { error in
            XCTAssertTrue("\(error)".contains("broadcast failed on rank 0 of 1"), "\(error)")
            XCTAssertTrue("\(error)".contains("root 1 is not a rank of the group"), "\(error)")
        }
    }

    func testArgumentsAreCheckedBeforeConnecting() {
        XCTAssertThrowsError(try ProcessGroup(port: 29_500, rank: 2, worldSize: 2)) { error in
            XCTAssertEqual("\(error)", "ProcessGroup.init: process group (rank 2 of 2): rank 2 is not in 0..<2")
        }
        XCTAssertThrowsError(try ProcessGroup(port: 0, rank: 0, worldSize: 1)) { error in
            XCTAssertTrue("\(error)".contains("master port 0 is not in 1...65535"), "\(error)")
        }
    }

    static let collectiveSteps = [
        "init", "allreduce-sum-float32-1M", "allreduce-sum-float64", "allreduce-sum-int64",
        "allreduce-sum-strided", "allreduce-average-float32", "allreduce-max-int64", "broadcast-float32",
        "broadcast-int64",
        "allgather-float64", "allgather-int64", "barrier", "leave"
    ]

    /// What Gloo says when a peer's connection is gone (which one depends on whether the
    /// survivor was reading or writing at the time).
    static let lostPeerMessages = ["Connection closed by peer", "Connection reset by peer", "Broken pipe"]
}

/// The `process-group-check` processes of one group, run to completion.
enum RankProcesses {
    struct Rank {
        var rank: Int
        var status: Int32
        var stdout: String
        var stderr: String

        /// The tab-separated fields of the first stdout line starting with `kind` and `name`.
        func step(_ kind: String, _ name: String) -> [String]? {
            stdout.split(separator: "\n").map { $0.split(separator: "\t", maxSplits: 3).map(String.init) }
                .first { $0.count >= 2 && $0[0] == kind && $0[1] == name }
        }

        var transcript: String { "rank \(rank), status \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
    }

    static var executable: URL {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }
        return (bundle?.bundleURL ?? runner).deletingLastPathComponent().appendingPathComponent("process-group-check")
    }

    /// Starts the ranks in `launch` (all by default) of a `worldSize` group on a free
    /// loopback port, waits for those in `waitFor` (all launched by default) for at
    /// most `deadline` seconds, then kills whatever still runs. A rank still running
    /// at the deadline fails the test rather than hanging it.
    static func run(
        worldSize: Int, scenario: String, timeoutMilliseconds: Int, launch: [Int]? = nil,
        waitFor: [Int]? = nil, deadline: TimeInterval = 120
    ) throws -> [Rank] {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw XCTSkip("process-group-check is not built at \(executable.path) (swift build builds it)")
        }
        let port = try freePort()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("process-group-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        let launched = launch ?? Array(0..<worldSize)
        var processes: [(rank: Int, process: Process, out: URL, err: URL)] = []
        defer {
            for entry in processes where entry.process.isRunning {
                kill(entry.process.processIdentifier, SIGKILL)
                entry.process.waitUntilExit()
            }
        }
        for rank in launched {
            let process = Process()
            process.executableURL = executable
            process.arguments = [
                "--rank", "\(rank)", "--world-size", "\(worldSize)", "--port", "\(port)",
                "--timeout-ms", "\(timeoutMilliseconds)", "--scenario", scenario
            ]
            // Files, not pipes: c10d can log more to stderr than a pipe holds.
            let out = folder.appendingPathComponent("rank\(rank).out")
            let err = folder.appendingPathComponent("rank\(rank).err")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
            processes.append((rank, process, out, err))
        }

        let awaited = Set(waitFor ?? launched)
        let end = Date().addingTimeInterval(deadline)
        while processes.contains(where: { awaited.contains($0.rank) && $0.process.isRunning }) && Date() < end {
            Thread.sleep(forTimeInterval: 0.02)
        }
        var ranks: [Rank] = []
        for entry in processes {
            if entry.process.isRunning {
                kill(entry.process.processIdentifier, SIGKILL)
                if awaited.contains(entry.rank) { XCTFail("rank \(entry.rank) still ran after \(deadline) s") }
            }
            entry.process.waitUntilExit()
            ranks.append(
                Rank(
                    rank: entry.rank, status: entry.process.terminationStatus,
                    stdout: (try? String(contentsOf: entry.out, encoding: .utf8)) ?? "",
                    stderr: (try? String(contentsOf: entry.err, encoding: .utf8)) ?? ""))
        }
        return ranks
    }

    /// A loopback port nothing listens on now: the kernel picks it for a socket bound to
    /// port 0, which is then closed (rank 0 binds it again a moment later).
    static func freePort() throws -> Int { try ProcessGroup.freeLoopbackPort() }
}
