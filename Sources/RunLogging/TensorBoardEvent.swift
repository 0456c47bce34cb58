/// Serialized TensorBoard `Event` messages (the payload of each TFRecord).
///
/// Field numbers are those of tensorboard/compat/proto/event.proto, summary.proto and
/// histogram.proto (the same as TensorFlow's):
///
///     Event          wall_time 1 (double), step 2 (int64), file_version 3 (string),
///                    summary 5 (Summary)
///     Summary        value 1 (repeated Value)
///     Summary.Value  tag 1 (string), simple_value 2 (float), image 4 (Image),
///                    histo 5 (HistogramProto), tensor 8 (TensorProto)   (a oneof),
///                    metadata 9 (SummaryMetadata)
///     Summary.Image  height 1, width 2, colorspace 3 (int32), encoded_image_string 4 (bytes)
///     HistogramProto min 1, max 2, num 3, sum 4, sum_squares 5 (double),
///                    bucket_limit 6, bucket 7 (packed repeated double)
///     TensorProto    dtype 1 (enum: DT_FLOAT 1, DT_STRING 7), tensor_shape 2
///                    (TensorShapeProto: dim 2, each Dim: size 1), string_val 8 (repeated bytes)
///     SummaryMetadata  plugin_data 1 (PluginData: plugin_name 1, content 2 (bytes))
///
/// Scalars, histograms and images are TensorBoard's built-in kinds. Text and
/// hyper-parameters are plugin data: a tensor with a `SummaryMetadata` naming the
/// plugin ("text", "hparams"), as `tensorboard.plugins.text.summary_v2.text_pb` and
/// `tensorboard.plugins.hparams.summary_v2` write them. TensorBoard keeps a tag's
/// metadata from its first event only, so anything that changes per step (a caption)
/// must live in the value, not in the metadata.
///
/// Fields are written in field-number order, as the official serializers do.
enum TensorBoardEvent {
    /// What one Summary.Value carries.
    enum Value {
        case scalar(Float)
        case histogram(TensorBoardHistogram)
        /// Encoded image bytes (PNG) and the image's size in pixels.
        case image(encoded: [UInt8], width: Int, height: Int)
        /// The text plugin's value: one string (Markdown), a scalar DT_STRING tensor.
        case text(String)
        /// A plugin's data carried entirely in the metadata's `content` (the hparams
        /// plugin), with the smallest valid tensor as the value, an empty float
        /// vector, as TensorBoard's `hparams.metadata.NULL_TENSOR`.
        case pluginContent(plugin: String, content: [UInt8])
    }

    /// TensorFlow's `DataType` numbers used here.
    private static let floatDataType: Int64 = 1
    private static let stringDataType: Int64 = 7

    /// The version string of the event-file format TensorBoard expects first in a file.
    static let fileVersion = "brain.Event:2"

    /// The first event of every file: it tells readers the format version.
    static func fileVersionEvent(wallTime: Double) -> [UInt8] {
        var event = ProtobufEncoder()
        event.doubleIfNonDefault(1, wallTime)
        event.string(3, fileVersion)
        return event.bytes
    }

    /// An event holding one summary value named `tag`.
    static func summaryEvent(wallTime: Double, step: Int, tag: String, value: Value) -> [UInt8] {
        var summaryValue = ProtobufEncoder()
        summaryValue.stringIfNonDefault(1, tag)
        switch value {
        case .scalar(let number):
            // A oneof member is written even when it is zero.
            summaryValue.float(2, number)
        case .image(let encoded, let width, let height):
            var image = ProtobufEncoder()
            image.int64IfNonDefault(1, Int64(height))
            image.int64IfNonDefault(2, Int64(width))
            image.int64(3, 3)  // colorspace 3 = RGB
            image.bytesIfNonDefault(4, encoded)
            summaryValue.message(4, image)
        case .histogram(let histogram):
            var histo = ProtobufEncoder()
            histo.doubleIfNonDefault(1, histogram.min)
            histo.doubleIfNonDefault(2, histogram.max)
            histo.doubleIfNonDefault(3, histogram.count)
            histo.doubleIfNonDefault(4, histogram.sum)
            histo.doubleIfNonDefault(5, histogram.sumOfSquares)
            histo.packedDoublesIfNonEmpty(6, histogram.bucketLimits)
            histo.packedDoublesIfNonEmpty(7, histogram.bucketCounts)
            summaryValue.message(5, histo)
        case .text(let text):
            var tensor = ProtobufEncoder()
            tensor.int64(1, stringDataType)
            tensor.message(2, ProtobufEncoder())  // a scalar: a shape with no dimensions, still written
            tensor.string(8, text)
            summaryValue.message(8, tensor)
            summaryValue.message(9, pluginMetadata(plugin: "text", content: []))
        case .pluginContent(let plugin, let content):
            var shape = ProtobufEncoder()
            shape.message(2, ProtobufEncoder())  // one dimension of size 0 (proto3 leaves the 0 out)
            var tensor = ProtobufEncoder()
            tensor.int64(1, floatDataType)
            tensor.message(2, shape)
            summaryValue.message(8, tensor)
            summaryValue.message(9, pluginMetadata(plugin: plugin, content: content))
        }
        var summary = ProtobufEncoder()
        summary.message(1, summaryValue)

        var event = ProtobufEncoder()
        event.doubleIfNonDefault(1, wallTime)
        event.int64IfNonDefault(2, Int64(step))
        event.message(5, summary)
        return event.bytes
    }

    /// `SummaryMetadata` with only `plugin_data` set (no display name or description).
    private static func pluginMetadata(plugin: String, content: [UInt8]) -> ProtobufEncoder {
        var pluginData = ProtobufEncoder()
        pluginData.stringIfNonDefault(1, plugin)
        pluginData.bytesIfNonDefault(2, content)
        var metadata = ProtobufEncoder()
        metadata.message(1, pluginData)
        return metadata
    }
}
