import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An advisory `flock(2)` on `<run folder>/.lock`, held by the one trainer that writes
/// the folder, so that a second `ddpo train` (or `--resume`) on the same folder stops
/// with an error naming the holder instead of training into it too.
///
/// The file holds the holder's PID, host and start time (for the error message); the
/// lock itself is the kernel's, on the open file, so it is released however the
/// process ends (exit, crash, SIGKILL) and a stale `.lock` file never blocks: the file
/// is left in place on release, only the lock goes. The descriptor is close-on-exec,
/// so a child process does not inherit the lock.
///
/// `flock` locks an open file description: a second `RunFolderLock` on the same
/// folder in the same process conflicts too. Over NFS `flock` is emulated with
/// byte-range locks on Linux (since 2.6.12), which also exclude across machines.
public final class RunFolderLock {
    public static let fileName = ".lock"

    /// The lock file.
    public let path: String
    private var fd: Int32

    /// Takes the lock of `folder` (which must exist), or throws `RunFolderLock.Busy`
    /// naming the process that holds it.
    public init(folder: URL) throws {
        path = folder.appendingPathComponent(Self.fileName).path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LockError(path: path, reason: "cannot open: \(errnoText())") }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let code = errno
            let holder = Self.readHolder(fd)
            close(fd)
            fd = -1
            if code == EWOULDBLOCK {
                throw Busy(folder: folder.path, path: path, holder: holder)
            }
            throw LockError(path: path, reason: "cannot lock: \(String(cString: strerror(code)))")
        }
        let since = ISO8601DateFormatter().string(from: Date())
        let text = "pid \(getpid()) on host \(ProcessInfo.processInfo.hostName) since \(since)\n"
        let bytes = Array(text.utf8)
        // Best effort: the lock holds whether or not the note is written.
        if ftruncate(fd, 0) == 0 { _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
    }

    /// Whether this object still holds the lock.
    public var isHeld: Bool { fd >= 0 }

    /// Releases the lock (closing the file); the file stays. Idempotent.
    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }

    private static func readHolder(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// Another process holds the folder's lock.
    public struct Busy: Error, CustomStringConvertible {
        public var folder: String
        public var path: String
        /// What the holder wrote: "pid N on host H since T", or nil when it has not yet.
        public var holder: String?
        public var description: String {
            "the run folder '\(folder)' is in use by another trainer (\(holder ?? "its PID is not yet in \(path)")): "
                + "wait for it to end or stop it; the lock (\(path)) is released when that process exits"
        }
    }

    /// The lock file cannot be opened or locked (e.g. a read-only folder).
    public struct LockError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }
}
