#if canImport(Glibc)
    import Files
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A whole file mapped copy-on-write into memory; unmapped when the last
/// reference (including tensors viewing it) goes away.
final class MappedFile {
    let path: String
    let base: UnsafeMutableRawPointer?
    let size: Int

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafetensorsError(path: path, problem: .io("cannot open: \(errnoText())")) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SafetensorsError(path: path, problem: .io("cannot stat: \(errnoText())"))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SafetensorsError(path: path, problem: .io("not a regular file"))
        }
        size = Int(info.st_size)
        if size == 0 {
            base = nil
            return
        }
        // Private + writable: tensors may be modified in place without touching the file.
        let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw SafetensorsError(path: path, problem: .io("cannot map: \(errnoText())"))
        }
        base = mapped
    }

    deinit {
        if let base { munmap(base, size) }
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }
}
