import Foundation
import ImageCodecs

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a TensorBoard event file (`events.out.tfevents.<unix time>.<hostname>`) in
/// a run folder: scalars, histograms and images, readable by `tensorboard --logdir`.
///
/// The file is a sequence of TFRecords (see `TFRecord`), each holding one `Event`
/// message: first the format version ("brain.Event:2"), then one event per value
/// with its wall time, step and a one-value `Summary`.
///
/// Durability: every `add...` call writes its whole record with one `write(2)`
/// before returning, so if the process crashes nothing already added is lost (a
/// record torn by a crash in mid-write is ignored by TensorBoard's reader).
/// `flush()` fsyncs, so that what was added also survives a machine crash; call it
/// once per epoch. Errors throw `MetricsFileError` naming the file.
///
/// Each writer starts a new file, never appends to an old one; a resumed run gets a
/// second file in the same folder, and TensorBoard reads all of a folder's files in
/// name order (which is time order). If a step is logged again after a resume,
/// TensorBoard drops the older points from that step on ("purge orphaned data").
///
/// Not thread-safe: use a writer from one thread.
public final class TensorBoardWriter: MetricsSink {
    /// The default number of equal-width histogram buckets (as TF2's `tf.summary.histogram`).
    public static let defaultBucketCount = 30

    /// The event file this writer appends to.
    public let fileURL: URL
    private let file: AppendOnlyFile
    /// Seconds since 1970; replaced by tests that compare bytes with a fixture.
    var clock: () -> Double

    /// Creates `directory` (and its parents) if needed and starts a new event file in it.
    /// If a file of the same name exists (two writers started in the same second), a
    /// suffix .1, .2, … makes the name unique.
    public convenience init(directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw MetricsFileError(path: directory.path, reason: "cannot create folder: \(error.localizedDescription)")
        }
        let now = Date().timeIntervalSince1970
        let base = directory.appendingPathComponent("events.out.tfevents.\(Int(now)).\(Self.hostname())").path
        for attempt in 0..<1000 {
            let path = attempt == 0 ? base : "\(base).\(attempt)"
            if let file = try AppendOnlyFile.createNew(path: path) {
                try self.init(file: file, clock: { Date().timeIntervalSince1970 })
                return
            }
        }
        throw MetricsFileError(path: base, reason: "cannot create: 1000 files of this name exist")
    }

    /// Writes to a new file at exactly `fileURL` (which must not exist) with the given
    /// clock: for tests that need fixed names and times.
    convenience init(fileURL: URL, clock: @escaping () -> Double) throws {
        guard let file = try AppendOnlyFile.createNew(path: fileURL.path) else {
            throw MetricsFileError(path: fileURL.path, reason: "cannot create: the file exists")
        }
        try self.init(file: file, clock: clock)
    }

    private init(file: AppendOnlyFile, clock: @escaping () -> Double) throws {
        self.file = file
        self.fileURL = URL(fileURLWithPath: file.path)
        self.clock = clock
        try file.append(TFRecord.frame(TensorBoardEvent.fileVersionEvent(wallTime: clock())))
    }

    /// A scalar plot point. TensorBoard stores scalars as 32-bit floats; NaN and ±inf
    /// are written as they are (TensorBoard shows them as such).
    public func addScalar(_ tag: String, _ value: Double, step: Int) throws {
        try add(tag, .scalar(Float(value)), step: step)
    }

    /// A histogram of `values` with `bucketCount` equal-width buckets over their
    /// [min, max]; non-finite values are left out (see `TensorBoardHistogram`).
    public func addHistogram(
        _ tag: String, values: [Double], step: Int,
        bucketCount: Int = TensorBoardWriter.defaultBucketCount
    ) throws {
        try add(tag, .histogram(TensorBoardHistogram(values: values, bucketCount: bucketCount)), step: step)
    }

    /// An image given as encoded PNG bytes and its size in pixels (RGB, colorspace 3).
    public func addImage(_ tag: String, png: [UInt8], width: Int, height: Int, step: Int) throws {
        precondition(width > 0 && height > 0, "TensorBoardWriter.addImage: size \(width)x\(height)")
        try add(tag, .image(encoded: png, width: width, height: height), step: step)
    }

    /// An image, PNG-encoded here (e.g. a sample grid from `ImageGrid`).
    public func addImage(_ tag: String, _ image: RGBImage, step: Int) throws {
        let png: [UInt8]
        do {
            png = try image.pngData()
        } catch {
            throw MetricsFileError(path: fileURL.path, reason: "cannot encode image '\(tag)' as PNG: \(error)")
        }
        try addImage(tag, png: png, width: image.width, height: image.height, step: step)
    }

    /// `MetricsSink`: one scalar per value, tags in sorted order. The epoch is not
    /// written (TensorBoard plots against the step).
    public func record(_ values: [String: Double], step: Int, epoch: Int) throws {
        for tag in values.keys.sorted() {
            try addScalar(tag, values[tag]!, step: step)
        }
    }

    /// fsyncs the file: everything added so far survives a machine crash.
    public func flush() throws {
        try file.sync()
    }

    /// Flushes and closes the file; later `add...` calls throw.
    public func close() throws {
        try file.close()
    }

    private func add(_ tag: String, _ value: TensorBoardEvent.Value, step: Int) throws {
        let event = TensorBoardEvent.summaryEvent(wallTime: clock(), step: step, tag: tag, value: value)
        try file.append(TFRecord.frame(event))
    }

    private static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(cString: buffer)
        // A hostname cannot contain "/", but keep the file name valid whatever it is.
        return name.isEmpty ? "localhost" : name.replacingOccurrences(of: "/", with: "_")
    }
}
