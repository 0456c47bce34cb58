/// A safetensors file that cannot be read or written, with the file's path and
/// what is wrong with it.
public struct SafetensorsError: Error, CustomStringConvertible, Equatable {
    public enum Problem: Equatable, Sendable {
        /// The file could not be opened, mapped, written or renamed (errno text).
        case io(String)
        /// Fewer bytes than the header or the tensors need.
        case truncated(String)
        /// The JSON header is not what the format prescribes.
        case badHeader(String)
        /// A tensor's dtype is not one this library reads.
        case unknownDType(tensor: String, dtype: String)
        /// A tensor's byte range is malformed, past the end, or overlaps another.
        case badOffsets(String)
        /// A requested tensor name is not in the file.
        case missingTensor(String)
    }

    public var path: String
    public var problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .io(let text): return "\(path): \(text)"
        case .truncated(let text): return "\(path): file is truncated: \(text)"
        case .badHeader(let text): return "\(path): bad safetensors header: \(text)"
        case .unknownDType(let tensor, let dtype): return "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case .badOffsets(let text): return "\(path): bad tensor offsets: \(text)"
        case .missingTensor(let name): return "\(path): no tensor named '\(name)'"
        }
    }
}

extension DType {
    /// The dtype's name in safetensors headers.
    public var safetensorsName: String {
        switch self {
        case .float32: return "F32"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .int64: return "I64"
        case .int32: return "I32"
        case .bool: return "BOOL"
        case .uint8: return "U8"
        case .float64: return "F64"
        }
    }

    init?(safetensorsName: String) {
        guard let match = DType.allCases.first(where: { $0.safetensorsName == safetensorsName }) else { return nil }
        self = match
    }
}
