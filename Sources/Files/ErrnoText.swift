#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The C library's message for the current `errno`, for errors that name the file.
public func errnoText() -> String {
    String(cString: strerror(errno))
}
