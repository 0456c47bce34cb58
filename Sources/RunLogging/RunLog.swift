import Foundation
import ImageCodecs

/// A run folder's logs: `metrics.jsonl` (one line per record) and a TensorBoard event
/// file, written together so that a program using the trainer gets the same run
/// folder as the command line. Scalars go to both; histograms, images, text and
/// hyper-parameters to TensorBoard only (metrics.jsonl holds numbers a report can
/// chart). Which tag uses which step: `TensorBoardWriter`.
public final class RunLog {
    public static let metricsFileName = "metrics.jsonl"

    public let directory: URL
    private let metrics: MetricsLog
    private let tensorBoard: TensorBoardWriter

    /// Opens (appending to) `directory/metrics.jsonl` and a new event file in `directory`.
    public init(directory: URL) throws {
        self.directory = directory
        metrics = try MetricsLog(fileURL: directory.appendingPathComponent(Self.metricsFileName))
        tensorBoard = try TensorBoardWriter(directory: directory)
    }

    /// One line of metrics.jsonl at `step` and `epoch`, and each value as a
    /// TensorBoard scalar at `tensorBoardStep` (the x-axis its charts use).
    public func record(_ values: [String: Double], step: Int, epoch: Int, tensorBoardStep: Int) throws {
        try metrics.record(values, step: step, epoch: epoch)
        for tag in values.keys.sorted() { try tensorBoard.addScalar(tag, values[tag]!, step: tensorBoardStep) }
    }

    /// A scalar for TensorBoard alone (per optimizer step, finer than metrics.jsonl's lines).
    public func addScalar(_ tag: String, _ value: Double, step: Int) throws {
        try tensorBoard.addScalar(tag, value, step: step)
    }

    public func addHistogram(_ tag: String, values: [Double], step: Int) throws {
        try tensorBoard.addHistogram(tag, values: values, step: step)
    }

    /// The images tiled into one grid (`columns` wide) as a TensorBoard image.
    public func addImages(_ tag: String, _ images: [RGBImage], columns: Int, step: Int) throws {
        guard !images.isEmpty else { return }
        try tensorBoard.addImage(tag, ImageGrid.tile(images, columns: columns), step: step)
    }

    /// The images as one grid with each one's prompt and reward drawn under it
    /// (`CaptionedImageGrid`) at `tag`, and the captions in full as a Markdown table
    /// at `tag/captions`.
    public func addCaptionedImages(
        _ tag: String, _ images: [RGBImage], captions: [SampleCaption], columns: Int, step: Int
    ) throws {
        guard !images.isEmpty else { return }
        try tensorBoard.addImage(
            tag, CaptionedImageGrid.render(images, captions: captions, columns: columns), step: step)
        try tensorBoard.addText(tag + "/captions", CaptionedImageGrid.markdownTable(captions), step: step)
    }

    /// Markdown text for TensorBoard's text tab.
    public func addText(_ tag: String, _ markdown: String, step: Int) throws {
        try tensorBoard.addText(tag, markdown, step: step)
    }

    /// Hyper-parameters and metric list for TensorBoard's HPARAMS tab.
    public func addHParams(_ hparams: TensorBoardHParams, step: Int) throws {
        try tensorBoard.addHParams(hparams, step: step)
    }

    /// Makes everything logged so far durable.
    public func flush() throws {
        try tensorBoard.flush()
        try metrics.flush()
    }

    public func close() throws {
        try tensorBoard.close()
        try metrics.close()
    }
}
