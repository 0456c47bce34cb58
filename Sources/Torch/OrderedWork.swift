import CTorch
import Foundation

/// Jobs 0..<count spread over worker threads, with their results handed on in job
/// order: `produce(i)` runs concurrently (worker w takes jobs w, w + workers, …,
/// each in turn), `deliver(i, value)` runs one at a time, for i = 0, 1, 2, … in
/// order, on whichever worker produced job i. Whatever `deliver` does (summing
/// gradients, appending results) therefore happens in the same order as in the
/// sequential loop `for i { deliver(i, produce(i)) }`, which is what one worker
/// runs, on the calling thread.
///
/// Many small tensors are why this exists: libtorch's intra-op threads gain little
/// on an op of a few thousand elements, while two such streams of ops on two cores
/// run nearly twice as fast. Each worker gets libtorch's intra-op thread count
/// (`Runtime.threadCount`, usually 1 then) and autograd's default mode (recording
/// on); thread-local modes of the caller (no-grad, autocast) are not inherited.
///
/// A worker holds at most one produced value while it waits for its turn to
/// deliver it. The first error thrown stops the other workers at their next job or
/// turn (what they produced but did not deliver is dropped) and is rethrown once
/// all have stopped.
public enum OrderedWork {
    public static func run<Value, Failure: Error>(
        count: Int, workers: Int, produce: (Int) throws(Failure) -> Value,
        deliver: (Int, Value) throws(Failure) -> Void
    ) throws(Failure) {
        let workers = max(1, min(workers, count))
        if workers == 1 {
            for index in 0..<count { try deliver(index, try produce(index)) }
            return
        }
        let state = SharedState<Value, Failure>(count: count, workers: workers)
        withoutActuallyEscaping(produce) { produce in
            withoutActuallyEscaping(deliver) { deliver in
                // The threads reach the closures only through `state`, which lets go of
                // them once every worker has returned: they must not outlive this call.
                state.produce = produce
                state.deliver = deliver
                for worker in 0..<workers {
                    let thread = Thread {
                        tt_init_thread()
                        state.work(worker: worker)
                        state.workerFinished()
                    }
                    // libtorch and deep module call chains want more than a secondary thread's default stack.
                    thread.stackSize = 16 << 20
                    thread.start()
                }
                state.waitUntilFinished()
                state.produce = nil
                state.deliver = nil
            }
        }
        if let error = state.error { throw error }
    }

    /// The jobs, the turn counter and the first error, behind one condition.
    private final class SharedState<Value, Failure: Error>: @unchecked Sendable {
        let count: Int
        let workers: Int
        var produce: ((Int) throws(Failure) -> Value)?
        var deliver: ((Int, Value) throws(Failure) -> Void)?
        private let condition = NSCondition()
        private var nextToDeliver = 0
        private var finishedWorkers = 0
        private(set) var error: Failure?

        init(count: Int, workers: Int) {
            self.count = count
            self.workers = workers
        }

        /// Worker `worker`'s jobs: worker, worker + workers, …
        func work(worker: Int) {
            guard let produce, let deliver else { return }
            for index in Swift.stride(from: worker, to: count, by: workers) {
                guard !hasFailed else { return }
                let value: Value
                do { value = try produce(index) } catch {
                    fail(error)
                    return
                }
                condition.lock()
                while nextToDeliver != index && self.error == nil { condition.wait() }
                guard self.error == nil else {
                    condition.unlock()
                    return
                }
                do { try deliver(index, value) } catch {
                    self.error = error
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                nextToDeliver += 1
                condition.broadcast()
                condition.unlock()
            }
        }

        private var hasFailed: Bool {
            condition.lock()
            defer { condition.unlock() }
            return error != nil
        }

        private func fail(_ error: Failure) {
            condition.lock()
            if self.error == nil { self.error = error }
            condition.broadcast()
            condition.unlock()
        }

        func workerFinished() {
            condition.lock()
            finishedWorkers += 1
            condition.broadcast()
            condition.unlock()
        }

        func waitUntilFinished() {
            condition.lock()
            while finishedWorkers < workers { condition.wait() }
            condition.unlock()
        }
    }
}
