import Foundation

/// The `remote` reward gave up: every attempt failed. Names the URL, how many
/// attempts were made and the last failure.
public struct RemoteRewardError: Error, CustomStringConvertible {
    public var url: URL
    public var attempts: Int
    public var lastFailure: RemoteRewardFailure

    public var description: String {
        let tries = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
        return "remote reward at \(url.absoluteString): failed after \(tries); last error: \(lastFailure)"
    }
}

/// Why one request to a reward server failed.
public enum RemoteRewardFailure: Error, CustomStringConvertible, Equatable {
    /// No connection, or the connection broke (e.g. "connection refused").
    case connection(String)
    /// No complete response within the timeout (seconds).
    case timeout(Double)
    /// A status other than 200, with the start of the body (the server's error message).
    case httpStatus(Int, body: String)
    /// A body that is not the protocol's JSON.
    case malformedResponse(String)
    /// A `rewards` or `info` list whose length is not the number of images sent.
    case wrongCount(field: String, expected: Int, got: Int)
    /// A body longer than `max_response_bytes` (`declared`: its Content-Length, when
    /// it gave one); refused before it was read whole.
    case responseTooLarge(limit: Int, declared: Int64?)
    /// A 3xx status: redirects are not followed (a client that followed it would re-send the POST
    /// without its body); the URL to configure instead is `location`.
    case redirect(status: Int, location: String)

    /// Worth another attempt? Not a 4xx status other than 408 and 429: the server
    /// said the request itself is wrong, and sending it again cannot help.
    public var isRetryable: Bool {
        switch self {
        case .responseTooLarge, .redirect: return false
        default: break
        }
        if case .httpStatus(let status, _) = self, (400..<500).contains(status), status != 408, status != 429 {
            return false
        }
        return true
    }

    public var description: String {
        switch self {
        case .connection(let reason):
            return "cannot connect: \(reason)"
        case .timeout(let seconds):
            return "timeout: no complete response within \(seconds) s (option timeout_s)"
        case .httpStatus(let status, let body):
            return "HTTP status \(status)" + (body.isEmpty ? "" : ": \(body)")
        case .malformedResponse(let reason):
            return "malformed response: \(reason)"
        case .wrongCount(let field, let expected, let got):
            return "wrong number of \(field): \(got) for \(expected) images"
        case .responseTooLarge(let limit, let declared):
            let size = declared.map { "a body of \($0) bytes" } ?? "a body longer than that"
            return "response too large: \(size), the limit is \(limit) bytes (option max_response_bytes)"
        case .redirect(let status, let location):
            return "HTTP status \(status), a redirect to '\(location)', which is not followed for a POST: "
                + "set url to where the server really is"
        }
    }
}
