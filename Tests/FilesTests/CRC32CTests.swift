import Files
import Foundation
import XCTest

final class CRC32CTests: XCTestCase {
    func testKnownValues() {
        // RFC 3720, appendix B.4.
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
    }

    /// Slicing-by-8 agrees with the bytewise definition at every length and split.
    func testStreamingEqualsOneShotAndTheBitwiseDefinition() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        func bitwise(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return ~crc
        }
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 100, 1000] {
            XCTAssertEqual(CRC32C.checksum(bytes[0..<length]), bitwise(bytes[0..<length]), "length \(length)")
        }
        for split in [0, 3, 8, 501, 1000] {
            let first = CRC32C.checksum(bytes[0..<split])
            let both = bytes[split...].withUnsafeBytes { CRC32C.update(first, $0) }
            XCTAssertEqual(both, CRC32C.checksum(bytes), "split \(split)")
        }
    }

    func testFileChecksum() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("crc32c-\(UUID())")
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(bytes).write(to: url)
        let (crc, count) = try CRC32C.checksum(fileAt: url.path)
        XCTAssertEqual(count, bytes.count)
        XCTAssertEqual(crc, CRC32C.checksum(bytes))
        XCTAssertThrowsError(try CRC32C.checksum(fileAt: url.path + "-missing"))
    }
}
