import CTorch
import Foundation

/// A safetensors file opened for reading. The file is memory-mapped; tensors
/// whose bytes are suitably aligned view the mapping without a copy.
///
/// Every structural problem (a truncated file, a bad header, an offset past the
/// end, overlapping ranges, an unknown dtype) is reported when the file is opened,
/// as a `SafetensorsError` naming the file.
public final class SafetensorsFile {
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        /// Byte range within the data section (after the header).
        public var dataRange: Range<Int>
    }

    public let path: String
    /// Tensors in file order (by offset).
    public let entries: [Entry]
    /// The optional `__metadata__` string map.
    public let metadata: [String: String]
    private let file: MappedFile
    private let dataStart: Int
    private let index: [String: Int]

    /// The largest header the format allows (100 MB), as the reference reader.
    static let maximumHeaderSize = 100_000_000

    public convenience init(url: URL) throws {
        try self.init(path: url.path)
    }

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw SafetensorsError(
                path: path,
                problem: .truncated(
                    "\(bytes.count) bytes, but a safetensors file starts with an 8-byte header length"))
        }
        let headerLength = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard headerLength <= UInt64(Self.maximumHeaderSize) else {
            throw SafetensorsError(
                path: path, problem: .badHeader("header length \(headerLength) exceeds the 100 MB limit"))
        }
        guard Int(headerLength) <= bytes.count - 8 else {
            throw SafetensorsError(
                path: path,
                problem: .truncated(
                    "the header needs \(headerLength) bytes but only \(bytes.count - 8) follow the length"))
        }
        dataStart = 8 + Int(headerLength)
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart])
        let parsed = try Self.parseHeader(headerBytes, path: path, dataSize: bytes.count - dataStart)
        entries = parsed.entries
        metadata = parsed.metadata
        var index: [String: Int] = [:]
        for (i, entry) in entries.enumerated() { index[entry.name] = i }
        self.index = index
    }

    public var tensorNames: [String] { entries.map(\.name) }

    public func entry(named name: String) -> Entry? {
        index[name].map { entries[$0] }
    }

    /// The tensor called `name`, on the CPU in its stored dtype.
    public func tensor(named name: String) throws -> Tensor {
        guard let entry = entry(named: name) else {
            throw SafetensorsError(path: path, problem: .missingTensor(name))
        }
        return try tensor(for: entry)
    }

    /// Every tensor by name.
    public func tensors() throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for entry in entries { out[entry.name] = try tensor(for: entry) }
        return out
    }

    private func tensor(for entry: Entry) throws -> Tensor {
        let offset = dataStart + entry.dataRange.lowerBound
        let count = entry.dataRange.count
        let shape = entry.shape.map(Int64.init)
        if let base = file.base, count > 0, Int(bitPattern: base + offset) % entry.dtype.byteSize == 0 {
            // Zero-copy: the tensor keeps the mapping alive through an unmanaged retain.
            let context = Unmanaged.passRetained(file).toOpaque()
            let handle = shape.withUnsafeBufferPointer {
                tt_from_external(
                    base + offset, $0.baseAddress, Int32($0.count), entry.dtype.rawValue,
                    releaseMappedFile, context)
            }
            guard let handle else {
                Unmanaged<MappedFile>.fromOpaque(context).release()
                throw SafetensorsError(path: path, problem: .io("tensor '\(entry.name)': \(lastTorchErrorMessage())"))
            }
            return Tensor(handle: handle)
        }
        let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[offset..<(offset + count)])
        do {
            return try Tensor(bytes: bytes, shape: entry.shape, dtype: entry.dtype)
        } catch {
            throw SafetensorsError(path: path, problem: .io("tensor '\(entry.name)': \(error)"))
        }
    }

    private static func parseHeader(_ header: UnsafeRawBufferPointer, path: String, dataSize: Int) throws
        -> (entries: [Entry], metadata: [String: String])
    {
        func bad(_ text: String) -> SafetensorsError { SafetensorsError(path: path, problem: .badHeader(text)) }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(header), options: [])
        } catch {
            throw bad("not valid JSON (\(error.localizedDescription))")
        }
        guard let dictionary = object as? [String: Any] else { throw bad("not a JSON object") }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in dictionary {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw bad("__metadata__ is not an object") }
                for (key, item) in map {
                    guard let text = item as? String else { throw bad("__metadata__['\(key)'] is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let fields = value as? [String: Any] else { throw bad("entry '\(name)' is not an object") }
            guard let dtypeName = fields["dtype"] as? String else { throw bad("entry '\(name)' has no dtype") }
            guard let dtype = DType(safetensorsName: dtypeName) else {
                throw SafetensorsError(path: path, problem: .unknownDType(tensor: name, dtype: dtypeName))
            }
            guard let shape = integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw bad("entry '\(name)' has no valid shape")
            }
            guard let offsets = integers(fields["data_offsets"]), offsets.count == 2 else {
                throw bad("entry '\(name)' has no valid data_offsets")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end else {
                throw SafetensorsError(path: path, problem: .badOffsets("tensor '\(name)' has range \(begin)..<\(end)"))
            }
            guard end <= dataSize else {
                throw SafetensorsError(
                    path: path,
                    problem: .badOffsets(
                        "tensor '\(name)' ends at byte \(end), past the end of the data (\(dataSize) bytes)"))
            }
            guard let byteCount = byteCount(shape: shape, dtype: dtype), byteCount == end - begin else {
                throw SafetensorsError(
                    path: path,
                    problem: .badOffsets(
                        "tensor '\(name)' of shape \(shape) \(dtypeName) does not fit its range of \(end - begin) bytes"
                    ))
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, dataRange: begin..<end))
        }
        entries.sort {
            ($0.dataRange.lowerBound, $0.dataRange.upperBound, $0.name) < (
                $1.dataRange.lowerBound, $1.dataRange.upperBound, $1.name
            )
        }
        for (previous, next) in zip(entries, entries.dropFirst())
        where next.dataRange.lowerBound < previous.dataRange.upperBound && !next.dataRange.isEmpty
            && !previous.dataRange.isEmpty
        {
            throw SafetensorsError(
                path: path,
                problem: .badOffsets(
                    "tensors '\(previous.name)' and '\(next.name)' overlap"))
        }
        return (entries, metadata)
    }

    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var out: [Int] = []
        for item in array {
            // Whole numbers only: a fraction or a string is a malformed header.
            guard let number = item as? NSNumber, let integer = Int(exactly: number.doubleValue) else { return nil }
            out.append(integer)
        }
        return out
    }

    /// Bytes a tensor of this shape needs, or nil on overflow.
    private static func byteCount(shape: [Int], dtype: DType) -> Int? {
        var total = dtype.byteSize
        for dim in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            total = product
        }
        return total
    }
}

/// The deleter libtorch calls when the last tensor viewing a mapping goes away.
private let releaseMappedFile: @convention(c) (UnsafeMutableRawPointer?) -> Void = { context in
    guard let context else { return }
    Unmanaged<MappedFile>.fromOpaque(context).release()
}

/// Reading and writing safetensors files.
public enum Safetensors {
    /// Every tensor of the file at `url`.
    public static func load(_ url: URL) throws -> [String: Tensor] {
        try SafetensorsFile(url: url).tensors()
    }
}
