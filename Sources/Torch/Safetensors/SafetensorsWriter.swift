import Files
import Foundation

extension Safetensors {
    /// Writes `tensors` (any device, any layout; saved as contiguous CPU bytes) to
    /// `url` atomically: a crash or a full disk leaves any previous file intact.
    /// Tensors are laid out by decreasing element size, then name, so that every
    /// tensor's bytes stay aligned for zero-copy reading.
    public static func save(_ tensors: [String: Tensor], to url: URL, metadata: [String: String] = [:]) throws {
        let path = url.path
        let ordered = tensors.sorted { a, b in
            let (sa, sb) = (a.value.dtype.byteSize, b.value.dtype.byteSize)
            return sa != sb ? sa > sb : a.key < b.key
        }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, tensor) in ordered {
            guard tensor.isDefined else {
                throw SafetensorsError(path: path, problem: .io("tensor '\(name)' is undefined"))
            }
            let byteCount = tensor.elementCount * tensor.dtype.byteSize
            header[name] =
                [
                    "dtype": tensor.dtype.safetensorsName,
                    "shape": tensor.shape,
                    "data_offsets": [offset, offset + byteCount]
                ] as [String: Any]
            offset += byteCount
        }
        var json: [UInt8]
        do {
            json = Array(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        } catch {
            throw SafetensorsError(path: path, problem: .badHeader("cannot encode header: \(error)"))
        }
        // Pad with spaces so the data section starts 8-byte aligned.
        while json.count % 8 != 0 { json.append(0x20) }
        var length = UInt64(json.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: &length) { Array($0) }
        do {
            try AtomicFile.write(path: path) { sink in
                try sink.write(lengthBytes)
                try sink.write(json)
                for (_, tensor) in ordered {
                    // CPU contiguous tensors are written from their storage; others are copied once.
                    let direct: Void? = try tensor.withUnsafeBytesIfContiguous { try sink.write($0) }
                    if direct == nil { try sink.write(tensor.detached().bytes()) }
                }
            }
        } catch let error as AtomicFile.WriteError {
            throw SafetensorsError(path: path, problem: .io("cannot write: \(error.reason)"))
        }
    }
}
