#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// CRC-32C (Castagnoli): the checksum TFRecord framing uses (RunLogging) and the one a
/// checkpoint's manifest records per file (DDPO's `CheckpointStore`). The polynomial
/// 0x1EDC6F41 is used bit-reversed (0x82F63B78) because the bytes are processed
/// least-significant bit first. Computed with slicing-by-8 (eight 256-entry tables,
/// eight bytes per step), fast enough (about 1 GB/s) to check multi-gigabyte
/// checkpoint files.
///
/// A CRC detects accidental corruption (flipped bits, truncated or partly
/// overwritten files, any burst of up to 32 bits), not deliberate tampering: it is
/// not a cryptographic hash.
public enum CRC32C {
    /// Eight tables of 256 entries, one after the other: table k maps a byte to its
    /// CRC contribution k bytes further on.
    static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            tables[byte] = crc
        }
        for k in 1..<8 {
            for byte in 0..<256 {
                let previous = tables[(k - 1) * 256 + byte]
                tables[k * 256 + byte] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The CRC-32C of `bytes` (initial value and final XOR 0xFFFFFFFF, as in RFC 3720).
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        if let crc = bytes.withContiguousStorageIfAvailable({ update(0, UnsafeRawBufferPointer($0)) }) {
            return crc
        }
        let array = Array(bytes)
        return array.withUnsafeBytes { update(0, $0) }
    }

    /// Continues `crc` (a finished CRC-32C of the bytes before, 0 for none) over `bytes`:
    /// `update(checksum(a), b) == checksum(a + b)`.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard var pointer = bytes.baseAddress, bytes.count > 0 else { return crc }
        var remaining = bytes.count
        var crc = ~crc
        tables.withUnsafeBufferPointer { table in
            while remaining >= 8 {
                let one = UInt32(littleEndian: pointer.loadUnaligned(as: UInt32.self)) ^ crc
                let two = UInt32(littleEndian: (pointer + 4).loadUnaligned(as: UInt32.self))
                crc =
                    table[7 * 256 + Int(one & 0xFF)] ^ table[6 * 256 + Int((one >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((one >> 16) & 0xFF)] ^ table[4 * 256 + Int(one >> 24)]
                    ^ table[3 * 256 + Int(two & 0xFF)] ^ table[2 * 256 + Int((two >> 8) & 0xFF)]
                    ^ table[256 + Int((two >> 16) & 0xFF)] ^ table[Int(two >> 24)]
                pointer += 8
                remaining -= 8
            }
            while remaining > 0 {
                crc = table[Int((crc ^ UInt32(pointer.load(as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                pointer += 1
                remaining -= 1
            }
        }
        return ~crc
    }

    /// TFRecord stores "masked" CRCs: a CRC of data that itself contains CRCs is
    /// weak, so TensorFlow rotates the value right by 15 bits and adds a constant.
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    /// The CRC-32C and the size in bytes of the file at `path`, read in 4 MiB pieces.
    public static func checksum(fileAt path: String) throws -> (crc: UInt32, bytes: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(path: path, reason: errnoText()) }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var crc: UInt32 = 0
        var total = 0
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(path: path, reason: errnoText())
            }
            if count == 0 { break }
            crc = update(crc, UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += count
        }
        return (crc, total)
    }

    /// A file that could not be read for its checksum, naming it and the system's reason.
    public struct ReadError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): cannot read: \(reason)" }
    }
}
