import Foundation
import Torch
import XCTest

@testable import DDPO

/// `DataParallel`'s collectives with two real gloo ranks in this process, each on its
/// own thread (the collectives block, so not on Swift's cooperative pool).
final class DataParallelTests: XCTestCase {
    /// Runs `body` as ranks 0 and 1 of a fresh group; returns what each returned or threw.
    private func twoRanks<T>(
        timeout: Duration = .seconds(20), _ body: @escaping @Sendable (DataParallel) throws -> T
    ) throws -> [Result<T, Error>] {
        let port = try ProcessGroup.freeLoopbackPort()
        let results = ResultBox<T>(count: 2)
        let group = DispatchGroup()
        for rank in 0..<2 {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                results.set(rank) {
                    let launch = LaunchEnvironment(
                        rank: rank, worldSize: 2, localRank: rank, masterAddress: "127.0.0.1", masterPort: port)
                    return try body(try DataParallel(joining: launch, timeout: timeout))
                }
            }
            thread.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success, "the ranks did not finish")
        return results.values
    }

    func testGathersSumsAndBroadcastsSeeEveryRank() throws {
        let results = try twoRanks { parallel -> [String] in
            let rank = parallel.rank
            // Ragged: rank 0 gives 1 value, rank 1 gives 3 (NaN survives).
            let values = rank == 0 ? [0.5] : [1.0, .nan, -2.0]
            let gathered = try parallel.allGather(values, "test")
            let strings = try parallel.allGather(rank == 0 ? ["a cat", ""] : ["é 🐟"], "test")
            let sum = try parallel.sum([Double(rank), 10], "test")
            let maximum = try parallel.maximum(rank * 7, "test")
            let broadcast = try parallel.broadcast(rank == 0, "test")
            try parallel.barrier("test")
            return [
                gathered.map { $0.isNaN ? "nan" : "\($0)" }.joined(separator: ","), strings.joined(separator: "|"),
                "\(sum)", "\(maximum)", "\(broadcast)"
            ]
        }
        for result in results {
            XCTAssertEqual(try result.get(), ["0.5,1.0,nan,-2.0", "a cat||é 🐟", "[1.0, 20.0]", "7", "true"])
        }
    }

    func testGradientsAreAveragedAndAMissingGradientCountsAsZero() throws {
        let results = try twoRanks { parallel -> [[Float]] in
            let a = Tensor([Float(1), 2]).requiringGrad()
            let b = Tensor([Float(3)]).requiringGrad()
            (a * Double(parallel.rank + 1)).sum().backward()  // a.grad: [1, 1] on rank 0, [2, 2] on rank 1
            if parallel.rank == 1 { (b * 4).sum().backward() }  // b.grad: none on rank 0, [4] on rank 1
            try parallel.averageGradients(of: [a, b], "test")
            return [a.grad!.toArray(Float.self), b.grad!.toArray(Float.self)]
        }
        for result in results { XCTAssertEqual(try result.get(), [[1.5, 1.5], [2]]) }
    }

    func testRanksThatHoldOtherBitsAreNamed() throws {
        let results = try twoRanks { parallel -> Bool in
            let weights = Tensor([Float(0.25), 1])
            try parallel.requireIdentical([weights], "same weights")
            // One ulp on rank 1.
            let drifted = Tensor([Float(0.25), parallel.rank == 1 ? Float(1).nextUp : 1])
            try parallel.requireIdentical([drifted], "after optimizer step 3")
            return true
        }
        for (rank, result) in results.enumerated() {
            XCTAssertThrowsError(try result.get()) { error in
                XCTAssertTrue(
                    "\(error)".hasPrefix(
                        "rank \(rank) of 2: after optimizer step 3 failed: rank(s) 1 hold other weights"),
                    "\(error)")
            }
        }
    }

    func testAPeerThatNeverJoinsIsAnErrorNamingTheRendezvous() throws {
        let port = try ProcessGroup.freeLoopbackPort()
        let launch = LaunchEnvironment(
            rank: 0, worldSize: 2, localRank: 0, masterAddress: "127.0.0.1", masterPort: port)
        XCTAssertThrowsError(try DataParallel(joining: launch, timeout: .seconds(1))) { error in
            XCTAssertTrue("\(error)".hasPrefix("rank 0 of 2: joining the job at 127.0.0.1:\(port) failed"), "\(error)")
        }
    }
}

/// Each rank thread's result, collected under a lock.
private final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<T, Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ body: () throws -> T) {
        let result = Result { try body() }
        lock.withLock { results[index] = result }
    }

    var values: [Result<T, Error>] {
        lock.withLock { results.map { $0 ?? .failure(CancellationError()) } }
    }
}
