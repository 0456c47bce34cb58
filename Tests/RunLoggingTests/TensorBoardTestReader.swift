import Foundation
import XCTest

@testable import RunLogging

/// A small, independent reader of what `TensorBoardWriter` writes: TFRecord framing
/// with both checksums verified, and just enough protobuf decoding to pull out the
/// Event, Summary.Value, HistogramProto, Summary.Image, TensorProto and
/// SummaryMetadata fields.
enum TensorBoardTestReader {
    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    /// One protobuf field: varints and fixed-width values in `number`, length-delimited
    /// ones in `bytes`.
    struct Field {
        var fieldNumber: Int
        var wireType: Int
        var number: UInt64 = 0
        var bytes: [UInt8] = []
    }

    struct Histogram {
        var min = 0.0, max = 0.0, num = 0.0, sum = 0.0, sumSquares = 0.0
        var bucketLimits: [Double] = [], buckets: [Double] = []
    }

    struct Image {
        var height = 0, width = 0, colorspace = 0
        var encoded: [UInt8] = []
    }

    /// A TensorProto: its dtype, dimensions (nil: no shape written) and string values.
    struct Tensor {
        var dtype = 0
        var shape: [Int]?
        var strings: [String] = []
    }

    struct Event {
        var wallTime = 0.0
        var step = 0
        var fileVersion: String?
        var tag: String?
        var scalar: Float?
        var histogram: Histogram?
        var image: Image?
        var tensor: Tensor?
        /// SummaryMetadata.plugin_data's plugin name and content.
        var pluginName: String?
        var pluginContent: [UInt8]?
    }

    static func events(in url: URL) throws -> [Event] {
        try records(Array(Data(contentsOf: url))).map(event)
    }

    /// Splits a file into record payloads, checking lengths and masked CRC-32Cs.
    static func records(_ file: [UInt8]) throws -> [[UInt8]] {
        var records: [[UInt8]] = []
        var offset = 0
        while offset < file.count {
            guard file.count - offset >= 12 else { throw ReadError(description: "torn header at \(offset)") }
            let header = Array(file[offset..<offset + 8])
            guard littleEndian(file, at: offset + 8, count: 4) == UInt64(CRC32C.masked(CRC32C.checksum(header))) else {
                throw ReadError(description: "bad length CRC at \(offset)")
            }
            let length = Int(littleEndian(file, at: offset, count: 8))
            let start = offset + 12
            guard file.count - start >= length + 4 else { throw ReadError(description: "torn record at \(offset)") }
            let data = Array(file[start..<start + length])
            guard littleEndian(file, at: start + length, count: 4) == UInt64(CRC32C.masked(CRC32C.checksum(data)))
            else {
                throw ReadError(description: "bad data CRC at \(offset)")
            }
            records.append(data)
            offset = start + length + 4
        }
        return records
    }

    static func fields(_ message: [UInt8]) throws -> [Field] {
        var fields: [Field] = []
        var offset = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard offset < message.count, shift < 64 else { throw ReadError(description: "bad varint") }
                let byte = message[offset]
                offset += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
        while offset < message.count {
            let key = try varint()
            var field = Field(fieldNumber: Int(key >> 3), wireType: Int(key & 7))
            switch field.wireType {
            case 0: field.number = try varint()
            case 1, 5:
                let count = field.wireType == 1 ? 8 : 4
                guard message.count - offset >= count else { throw ReadError(description: "torn fixed field") }
                field.number = littleEndian(message, at: offset, count: count)
                offset += count
            case 2:
                let length = Int(try varint())
                guard message.count - offset >= length else { throw ReadError(description: "torn bytes field") }
                field.bytes = Array(message[offset..<offset + length])
                offset += length
            default: throw ReadError(description: "wire type \(field.wireType)")
            }
            fields.append(field)
        }
        return fields
    }

    static func event(_ data: [UInt8]) throws -> Event {
        var event = Event()
        for field in try fields(data) {
            switch field.fieldNumber {
            case 1: event.wallTime = Double(bitPattern: field.number)
            case 2: event.step = Int(Int64(bitPattern: field.number))
            case 3: event.fileVersion = String(decoding: field.bytes, as: UTF8.self)
            case 5:
                let values = try fields(field.bytes).filter { $0.fieldNumber == 1 }
                guard values.count == 1 else { throw ReadError(description: "\(values.count) summary values") }
                try summaryValue(values[0].bytes, into: &event)
            default: throw ReadError(description: "unexpected Event field \(field.fieldNumber)")
            }
        }
        return event
    }

    private static func summaryValue(_ data: [UInt8], into event: inout Event) throws {
        for field in try fields(data) {
            switch field.fieldNumber {
            case 1: event.tag = String(decoding: field.bytes, as: UTF8.self)
            case 2: event.scalar = Float(bitPattern: UInt32(field.number))
            case 4:
                var image = Image()
                for part in try fields(field.bytes) {
                    switch part.fieldNumber {
                    case 1: image.height = Int(part.number)
                    case 2: image.width = Int(part.number)
                    case 3: image.colorspace = Int(part.number)
                    case 4: image.encoded = part.bytes
                    default: throw ReadError(description: "unexpected Image field \(part.fieldNumber)")
                    }
                }
                event.image = image
            case 5:
                var histogram = Histogram()
                for part in try fields(field.bytes) {
                    let value = Double(bitPattern: part.number)
                    switch part.fieldNumber {
                    case 1: histogram.min = value
                    case 2: histogram.max = value
                    case 3: histogram.num = value
                    case 4: histogram.sum = value
                    case 5: histogram.sumSquares = value
                    case 6: histogram.bucketLimits = doubles(part.bytes)
                    case 7: histogram.buckets = doubles(part.bytes)
                    default: throw ReadError(description: "unexpected HistogramProto field \(part.fieldNumber)")
                    }
                }
                event.histogram = histogram
            case 8: event.tensor = try tensor(field.bytes)
            case 9:
                for part in try fields(field.bytes) {
                    guard part.fieldNumber == 1 else {
                        throw ReadError(description: "unexpected SummaryMetadata field \(part.fieldNumber)")
                    }
                    for data in try fields(part.bytes) {
                        switch data.fieldNumber {
                        case 1: event.pluginName = String(decoding: data.bytes, as: UTF8.self)
                        case 2: event.pluginContent = data.bytes
                        default: throw ReadError(description: "unexpected PluginData field \(data.fieldNumber)")
                        }
                    }
                }
                event.pluginName = event.pluginName ?? ""
            default: throw ReadError(description: "unexpected Summary.Value field \(field.fieldNumber)")
            }
        }
    }

    private static func tensor(_ data: [UInt8]) throws -> Tensor {
        var tensor = Tensor()
        for field in try fields(data) {
            switch field.fieldNumber {
            case 1: tensor.dtype = Int(field.number)
            case 2:
                tensor.shape = try fields(field.bytes).filter { $0.fieldNumber == 2 }.map { dimension in
                    Int(try fields(dimension.bytes).first { $0.fieldNumber == 1 }?.number ?? 0)
                }
            case 8: tensor.strings.append(String(decoding: field.bytes, as: UTF8.self))
            default: throw ReadError(description: "unexpected TensorProto field \(field.fieldNumber)")
            }
        }
        return tensor
    }

    private static func doubles(_ packed: [UInt8]) -> [Double] {
        stride(from: 0, to: packed.count, by: 8).map { Double(bitPattern: littleEndian(packed, at: $0, count: 8)) }
    }

    private static func littleEndian(_ bytes: [UInt8], at offset: Int, count: Int) -> UInt64 {
        (0..<count).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
    }
}
