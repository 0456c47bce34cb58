/// Serialized TensorBoard `Event` messages (the payload of each TFRecord).
///
/// Field numbers are those of tensorboard/compat/proto/event.proto, summary.proto and
/// histogram.proto (the same as TensorFlow's):
///
///     Event          wall_time 1 (double), step 2 (int64), file_version 3 (string),
///                    summary 5 (Summary)
///     Summary        value 1 (repeated Value)
///     Summary.Value  tag 1 (string), simple_value 2 (float), image 4 (Image),
///                    histo 5 (HistogramProto)      (the last three are a oneof)
///     Summary.Image  height 1, width 2, colorspace 3 (int32), encoded_image_string 4 (bytes)
///     HistogramProto min 1, max 2, num 3, sum 4, sum_squares 5 (double),
///                    bucket_limit 6, bucket 7 (packed repeated double)
///
/// Fields are written in field-number order, as the official serializers do.
enum TensorBoardEvent {
    /// What one Summary.Value carries.
    enum Value {
        case scalar(Float)
        case histogram(TensorBoardHistogram)
        /// Encoded image bytes (PNG) and the image's size in pixels.
        case image(encoded: [UInt8], width: Int, height: Int)
    }

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
        }
        var summary = ProtobufEncoder()
        summary.message(1, summaryValue)

        var event = ProtobufEncoder()
        event.doubleIfNonDefault(1, wallTime)
        event.int64IfNonDefault(2, Int64(step))
        event.message(5, summary)
        return event.bytes
    }
}
