/// Just enough of the protocol-buffers wire format to write TensorBoard's Event,
/// Summary and HistogramProto messages by hand (no generated code, no dependency).
///
/// A field is a key (field number << 3 | wire type) followed by its value: varint
/// (wire type 0) for integers, 64-bit little-endian (1) for doubles, length-delimited
/// (2) for strings, bytes, nested messages and packed repeated numbers, 32-bit
/// little-endian (5) for floats.
///
/// The messages are proto3, where a scalar field equal to its default (0, "") is
/// simply not written; the `...IfNonDefault` methods do that so our bytes equal the
/// official serializer's (checked against Python protobuf by a test fixture).
struct ProtobufEncoder {
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private mutating func key(_ field: Int, _ wireType: WireType) {
        varint(UInt64(field) << 3 | wireType.rawValue)
    }

    /// Seven bits per byte, least significant group first, high bit set on all but the last.
    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func fixed<T: FixedWidthInteger>(_ value: T) {
        bytes += TFRecord.littleEndianBytes(value)
    }

    /// int64 / int32 fields: a negative value is sent as its 64-bit two's complement (10 bytes).
    mutating func int64(_ field: Int, _ value: Int64) {
        key(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, .fixed64)
        fixed(value.bitPattern)
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        fixed(value.bitPattern)
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    mutating func message(_ field: Int, _ value: ProtobufEncoder) {
        bytes(field, value.bytes)
    }

    /// A packed repeated double field: one length-delimited run of 8-byte values.
    mutating func packedDoublesIfNonEmpty(_ field: Int, _ values: [Double]) {
        guard !values.isEmpty else { return }
        key(field, .lengthDelimited)
        varint(UInt64(values.count * 8))
        for value in values { fixed(value.bitPattern) }
    }

    mutating func int64IfNonDefault(_ field: Int, _ value: Int64) {
        if value != 0 { int64(field, value) }
    }

    /// Proto3 omits exactly +0.0 (a bit pattern of zero); -0.0 is written.
    mutating func doubleIfNonDefault(_ field: Int, _ value: Double) {
        if value.bitPattern != 0 { double(field, value) }
    }

    mutating func stringIfNonDefault(_ field: Int, _ value: String) {
        if !value.isEmpty { string(field, value) }
    }

    mutating func bytesIfNonDefault(_ field: Int, _ value: [UInt8]) {
        if !value.isEmpty { bytes(field, value) }
    }
}
