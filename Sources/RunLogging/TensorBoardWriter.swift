import Foundation
import ImageCodecs

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a TensorBoard event file (`events.out.tfevents.<unix time>.<hostname>`) in
/// a run folder: scalars, histograms, images, text and hyper-parameters, readable by
/// `tensorboard --logdir`.
///
/// The file is a sequence of TFRecords (see `TFRecord`), each holding one `Event`
/// message: first the format version ("brain.Event:2"), then one event per value
/// with its wall time, step and a one-value `Summary`.
///
/// What a DDPO run writes, and what its step means (TensorBoard plots every tag
/// against its step, and the tags use three different axes):
///
/// - epoch (0 for the first epoch, as in metrics.jsonl): the per-epoch scalars
///   (`reward_mean`, `reward_std`, `loss`, `approx_kl`, `clipfrac`, `grad_norm`,
///   `kl_penalty`, `pretrain_loss`, `time_*_s`, …, and `…/<task>` per task), the
///   histograms `rewards` and `advantages`, the image `samples` (the epoch's first
///   samples with each prompt and reward drawn under it) and the text
///   `samples/captions` (the same captions as a table);
/// - epochs trained (0 = before training, N = after N epochs): `eval/reward_mean`,
///   `eval/reward_std` and `eval/<extra>` of the fixed before/after evaluation, and
///   the monitors' `monitor/…`;
/// - optimizer step (counted over the whole run, from 1): `step/loss`,
///   `step/approx_kl`, `step/clipfrac`, `step/grad_norm`, `step/learning_rate`;
/// - the epoch a start begins at (0, or the checkpoint's epoch on a resume): the text
///   `config` (config.yaml as this start read it) and the HPARAMS tab's summaries.
///
/// Durability: every `add...` call writes its whole record with one `write(2)`
/// before returning, so if the process crashes nothing already added is lost (a
/// record torn by a crash in mid-write is ignored by TensorBoard's reader).
/// `flush()` fsyncs, so that what was added also survives a machine crash; call it
/// once per epoch. Errors throw `MetricsFileError` naming the file.
///
/// Each writer starts a new file, never appends to an old one; a resumed run gets a
/// second file in the same folder, and TensorBoard reads all of a folder's files in
/// name order (which is time order). If a step is logged again after a resume (the
/// epochs after the checkpoint are trained again), TensorBoard keeps both points:
/// with file version 2 it purges orphaned data only at a `SessionLog.START` event,
/// which this writer does not write, since a purge would cut every tag at one step
/// number and the tags above do not share one axis.
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

    /// A text summary (TensorBoard's TEXT tab), rendered as Markdown: tables and
    /// fenced code blocks work.
    public func addText(_ tag: String, _ markdown: String, step: Int) throws {
        try add(tag, .text(markdown), step: step)
    }

    /// The run's hyper-parameters and metric list for the HPARAMS tab: two events,
    /// `_hparams_/experiment` and `_hparams_/session_start_info`.
    public func addHParams(_ hparams: TensorBoardHParams, step: Int) throws {
        try add(
            TensorBoardHParams.experimentTag,
            .pluginContent(plugin: TensorBoardHParams.pluginName, content: hparams.experimentContent), step: step)
        try add(
            TensorBoardHParams.sessionStartTag,
            .pluginContent(plugin: TensorBoardHParams.pluginName, content: hparams.sessionStartContent), step: step)
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
