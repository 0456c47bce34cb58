import Foundation
import XCTest

@testable import Torch

final class OrderedWorkTests: XCTestCase {
    private struct Failure: Error, Equatable { var job: Int }

    func testDeliversEveryJobOnceInOrderWhateverTheWorkers() {
        for workers in [1, 2, 3, 8] {
            var delivered: [(Int, Int)] = []
            OrderedWork.run(
                count: 7, workers: workers,
                produce: { index in
                    // Later jobs finish first: the order of delivery must not follow completion.
                    usleep(useconds_t((7 - index) * 2_000))
                    return index * index
                }, deliver: { index, value in delivered.append((index, value)) })
            XCTAssertEqual(delivered.map(\.0), Array(0..<7), "workers \(workers)")
            XCTAssertEqual(delivered.map(\.1), (0..<7).map { $0 * $0 }, "workers \(workers)")
        }
    }

    func testJobsRunOnSeveralThreadsAtOnce() {
        let lock = NSLock()
        var running = 0
        var mostAtOnce = 0
        OrderedWork.run(
            count: 4, workers: 2,
            produce: { _ in
                lock.lock()
                running += 1
                mostAtOnce = max(mostAtOnce, running)
                lock.unlock()
                usleep(50_000)
                lock.lock()
                running -= 1
                lock.unlock()
            }, deliver: { _, _ in })
        XCTAssertEqual(mostAtOnce, 2)
    }

    func testOneWorkerRunsOnTheCallingThread() {
        let caller = Thread.current
        var threads: [Bool] = []
        OrderedWork.run(
            count: 3, workers: 1, produce: { _ in Thread.current == caller },
            deliver: { _, onCaller in threads.append(onCaller) })
        XCTAssertEqual(threads, [true, true, true])
    }

    func testNoJobsDeliversNothing() {
        var delivered = 0
        OrderedWork.run(count: 0, workers: 4, produce: { $0 }, deliver: { _, _ in delivered += 1 })
        XCTAssertEqual(delivered, 0)
    }

    func testTheFirstErrorStopsTheWorkAndIsRethrown() {
        for workers in [1, 3] {
            var delivered: [Int] = []
            XCTAssertThrowsError(
                try OrderedWork.run(
                    count: 40, workers: workers,
                    produce: { (index: Int) throws(Failure) -> Int in
                        if index == 5 { throw Failure(job: index) }
                        return index
                    }, deliver: { (index: Int, _: Int) throws(Failure) in delivered.append(index) })
            ) { error in
                XCTAssertEqual(error as? Failure, Failure(job: 5))
            }
            // Delivered in order, none from the failing job on (other workers may stop
            // before delivering earlier jobs; one worker delivers all of them).
            XCTAssertEqual(delivered, Array(0..<delivered.count), "workers \(workers)")
            XCTAssertLessThanOrEqual(delivered.count, 5)
            if workers == 1 { XCTAssertEqual(delivered.count, 5) }
        }
    }

    func testAnErrorOfDeliverIsRethrown() {
        XCTAssertThrowsError(
            try OrderedWork.run(
                count: 10, workers: 2, produce: { (index: Int) throws(Failure) -> Int in index },
                deliver: { (index: Int, _: Int) throws(Failure) in
                    if index == 3 { throw Failure(job: index) }
                })
        ) { error in
            XCTAssertEqual(error as? Failure, Failure(job: 3))
        }
    }

    func testWorkersUseLibtorchsThreadCount() {
        let previous = Runtime.threadCount
        defer { Runtime.threadCount = previous }
        Runtime.threadCount = 1
        var counts: [Int] = []
        OrderedWork.run(count: 2, workers: 2, produce: { _ in Runtime.threadCount }, deliver: { counts.append($1) })
        XCTAssertEqual(counts, [1, 1])
    }

    /// What the policy update relies on: gradients of several losses taken one by one
    /// with `gradients(of:withRespectTo:)`, on two threads, and summed in order equal
    /// bitwise what `backward()` accumulates into `.grad` one loss after another.
    func testGradientsSummedInOrderOnTwoThreadsEqualBackwardsAccumulation() {
        let previous = Runtime.threadCount
        defer { Runtime.threadCount = previous }
        Runtime.threadCount = 1
        let generator = Generator(seed: 3)
        let convWeight = Tensor.randn([4, 3, 3, 3], generator: generator).requiringGrad()
        let linearWeight = Tensor.randn([5, 4 * 6 * 6], generator: generator).requiringGrad()
        let unused = Tensor.randn([2], generator: generator).requiringGrad()
        let parameters = [convWeight, linearWeight, unused]
        let inputs = (0..<6).map { _ in Tensor.randn([2, 3, 8, 8], generator: generator) }
        func loss(_ input: Tensor) -> Tensor {
            let features = conv2d(input, weight: convWeight).relu().reshaped([2, -1])
            return linear(features, weight: linearWeight).tanh().square().mean() / 6.0
        }

        for input in inputs { loss(input).backward() }
        let expected = parameters.map { $0.grad?.bytes() }
        parameters.forEach { $0.zeroGrad() }

        OrderedWork.run(
            count: inputs.count, workers: 2,
            produce: { index in
                gradients(of: [loss(inputs[index])], withRespectTo: parameters)
            },
            deliver: { _, gradients in
                withNoGrad {
                    for (parameter, gradient) in zip(parameters, gradients) {
                        guard let gradient else { continue }
                        if let existing = parameter.grad { existing.add(gradient) } else { parameter.grad = gradient }
                    }
                }
            })
        XCTAssertNotNil(expected[0])
        XCTAssertNil(expected[2])
        XCTAssertEqual(parameters.map { $0.grad?.bytes() }, expected)
    }
}
