import XCTest

@testable import RunLogging

final class TensorBoardCRC32CTests: XCTestCase {
    func testKnownVectors() {
        // The check value of CRC-32C and the test vectors of RFC 3720 (iSCSI), appendix B.4.
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }), 0x113F_DB5C)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
    }

    func testMaskRotatesAndAddsTheConstant() {
        XCTAssertEqual(CRC32C.masked(0), 0xA282_EAD8)
        // 0x8000 rotated right by 15 is 1.
        XCTAssertEqual(CRC32C.masked(0x8000), 0xA282_EAD9)
        // Wraps around rather than trapping on overflow.
        XCTAssertEqual(CRC32C.masked(0xFFFF_FFFF), 0xA282_EAD7)
    }

    func testRecordFraming() throws {
        let data: [UInt8] = [1, 2, 3]
        let record = TFRecord.frame(data)
        XCTAssertEqual(record.count, 8 + 4 + 3 + 4)
        XCTAssertEqual(Array(record[0..<8]), [3, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(try TensorBoardTestReader.records(record + TFRecord.frame([])), [data, []])
        var corrupt = record
        corrupt[13] ^= 1
        XCTAssertThrowsError(try TensorBoardTestReader.records(corrupt))
    }
}
