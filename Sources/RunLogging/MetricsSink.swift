/// Where the trainer sends its scalar metrics. TensorBoard event files and
/// metrics.jsonl both take them, so the trainer records each step once:
///
///     let sinks = MetricsSinks([tensorBoard, metricsLog])
///     try sinks.record(["reward_mean": 3.2, "loss": 0.01], step: step, epoch: epoch)
public protocol MetricsSink: AnyObject {
    /// Records named scalar values measured at `step` (the global step, the x-axis
    /// of every plot) during `epoch`. Values may be non-finite; each sink documents
    /// what it writes for them.
    func record(_ values: [String: Double], step: Int, epoch: Int) throws

    /// Makes everything recorded so far durable (it has already reached the OS).
    func flush() throws
}

/// Several sinks behind one: each record goes to all of them.
public final class MetricsSinks: MetricsSink {
    public let sinks: [any MetricsSink]

    public init(_ sinks: [any MetricsSink]) {
        self.sinks = sinks
    }

    /// Offers the values to every sink even if one fails (a full disk under the
    /// event files should not also cost the JSON lines), then throws the first error.
    public func record(_ values: [String: Double], step: Int, epoch: Int) throws {
        try forEachSink { try $0.record(values, step: step, epoch: epoch) }
    }

    public func flush() throws {
        try forEachSink { try $0.flush() }
    }

    private func forEachSink(_ body: (any MetricsSink) throws -> Void) throws {
        var firstError: Error?
        for sink in sinks {
            do {
                try body(sink)
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
    }
}
