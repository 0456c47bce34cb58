#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes files so that readers see either the old file or the complete new one,
/// never a partial write: data goes to a temporary file in the same folder, is
/// flushed to disk, then renamed over the target, and the folder entry is synced.
public enum AtomicFile {
    /// Why an atomic write failed, naming the file and the system's reason
    /// (e.g. "No space left on device"). The target is left untouched.
    public struct WriteError: Error, CustomStringConvertible, Equatable {
        public var path: String
        public var reason: String
        public var description: String { "\(path): cannot write: \(reason)" }
    }

    /// Receives the new content of the file, piece by piece.
    public struct Sink {
        let fd: Int32
        let path: String

        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw WriteError(path: path, reason: errnoText())
                }
                offset += written
            }
        }

        public func write(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try write($0) }
        }
    }

    /// Runs `body` to produce the new content of `path`, then swaps it in.
    public static func write(path: String, _ body: (Sink) throws -> Void) throws {
        let directory = parentDirectory(of: path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let temporary = "\(directory)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: path, reason: "cannot create \(temporary): \(errnoText())") }
        var isOpen = true
        func discard() {
            if isOpen { close(fd) }
            unlink(temporary)
        }
        do {
            try body(Sink(fd: fd, path: path))
        } catch {
            discard()
            throw error
        }
        guard fsync(fd) == 0 else {
            let reason = "fsync: \(errnoText())"
            discard()
            throw WriteError(path: path, reason: reason)
        }
        isOpen = false
        guard close(fd) == 0, rename(temporary, path) == 0 else {
            let reason = errnoText()
            discard()
            throw WriteError(path: path, reason: reason)
        }
        // Make the rename itself durable.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Writes `bytes` as the new content of `path`.
    public static func write(path: String, bytes: [UInt8]) throws {
        try write(path: path) { try $0.write(bytes) }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }
}
