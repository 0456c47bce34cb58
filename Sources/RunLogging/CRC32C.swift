/// CRC-32C (Castagnoli), the checksum TFRecord framing uses, computed with a
/// 256-entry table (one lookup per byte). It differs from zlib's CRC-32 only in
/// the polynomial: 0x1EDC6F41, used here bit-reversed (0x82F63B78) because the
/// bytes are processed least-significant bit first.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 {
            crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
        }
        return crc
    }

    /// The CRC-32C of `bytes` (initial value and final XOR 0xFFFFFFFF, as in RFC 3720).
    static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// TFRecord stores "masked" CRCs: a CRC of data that itself contains CRCs is
    /// weak, so TensorFlow rotates the value right by 15 bits and adds a constant.
    static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
