import Files
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a metrics file (event file, metrics.jsonl) could not be created, written or
/// read: names the file and gives the system's reason.
public struct MetricsFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// A file that only grows, written with unbuffered `write(2)` calls.
///
/// Each `append` hands its bytes to the kernel before returning, so a crash of this
/// process loses nothing already appended; `sync` (fsync) also makes them survive a
/// crash of the machine. Files are opened with O_APPEND, so every `append` lands at
/// the current end even if another process appends too. Not thread-safe.
final class AppendOnlyFile {
    let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Creates `path`, which must not exist yet: nil if it does (the caller picks
    /// another name), an error for any other failure.
    static func createNew(path: String) throws -> AppendOnlyFile? {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 {
            if errno == EEXIST { return nil }
            throw MetricsFileError(path: path, reason: "cannot create: \(errnoText())")
        }
        return AppendOnlyFile(path: path, descriptor: fd)
    }

    /// Opens `path` for appending, creating it if it does not exist.
    static func openForAppending(path: String) throws -> AppendOnlyFile {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw MetricsFileError(path: path, reason: "cannot open for appending: \(errnoText())") }
        return AppendOnlyFile(path: path, descriptor: fd)
    }

    deinit {
        if descriptor >= 0 { _ = closeDescriptor(descriptor) }
    }

    func append(_ bytes: [UInt8]) throws {
        guard descriptor >= 0 else { throw MetricsFileError(path: path, reason: "cannot write: the file was closed") }
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw MetricsFileError(path: path, reason: "cannot write: \(errnoText())")
                }
                offset += written
            }
        }
    }

    /// Asks the kernel to put everything appended so far on disk.
    func sync() throws {
        guard descriptor >= 0 else { return }
        guard fsync(descriptor) == 0 else { throw MetricsFileError(path: path, reason: "fsync: \(errnoText())") }
    }

    /// Syncs and closes; later appends throw. Closing twice does nothing.
    func close() throws {
        guard descriptor >= 0 else { return }
        try sync()
        let fd = descriptor
        descriptor = -1
        guard closeDescriptor(fd) == 0 else { throw MetricsFileError(path: path, reason: "close: \(errnoText())") }
    }
}

// File-scope helpers: inside the class, `close` would name the method.
private func closeDescriptor(_ fd: Int32) -> Int32 {
    close(fd)
}
