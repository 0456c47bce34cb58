/// TFRecord framing, the container format of TensorBoard event files. Each record is
///
///     uint64 length (little-endian)
///     uint32 masked CRC-32C of those 8 length bytes
///     length bytes of data
///     uint32 masked CRC-32C of the data
///
/// The length has its own checksum so that a reader can tell a torn or corrupt
/// header from a real length before trusting it.
enum TFRecord {
    /// The framed bytes of one record holding `data`.
    static func frame(_ data: [UInt8]) -> [UInt8] {
        var record: [UInt8] = []
        record.reserveCapacity(data.count + 16)
        let length = littleEndianBytes(UInt64(data.count))
        record += length
        record += littleEndianBytes(CRC32C.masked(CRC32C.checksum(length)))
        record += data
        record += littleEndianBytes(CRC32C.masked(CRC32C.checksum(data)))
        return record
    }

    static func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}
