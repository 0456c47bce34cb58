import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOPosix

/// POSTs whose responses may not exceed a byte limit and which never follow
/// redirects: a server declaring 2 GiB must not drive the trainer to 6 GB before
/// the JSON error, and a redirected POST would be re-sent without its body.
///
/// One AsyncHTTPClient for the process (its connection pool is shared by every
/// remote reward and never shut down, as a static it lives as long as the process).
enum BoundedHTTPClient {
    /// Why a response was refused before it was complete.
    enum Refusal: Error, Equatable {
        /// The body is longer than `limit` bytes (`declared`: what Content-Length said, if it said).
        case tooLarge(limit: Int, declared: Int64?)
        /// A 3xx status: the redirect was not followed.
        case redirect(status: Int, location: String?)
    }

    /// A complete response.
    struct Response {
        var status: Int
        var body: Data
    }

    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        // A refused connection fails the request at once instead of being retried by
        // the pool until the deadline; the remote reward retries with its own backoff.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()

    /// POSTs `body` as JSON to `url` and reads at most `limit` bytes of response,
    /// all before `deadline`. Throws `Refusal`, AsyncHTTPClient's and NIO's errors, or
    /// `CancellationError` when the task is cancelled.
    static func postJSON(_ body: Data, to url: URL, limit: Int, timeout: Double) async throws -> Response {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout * 1e9)))
        let status = Int(response.status.code)
        if (300..<400).contains(status) {
            throw Refusal.redirect(status: status, location: response.headers.first(name: "Location"))
        }
        if let declared = response.headers.first(name: "Content-Length").flatMap(Int64.init), declared > limit {
            throw Refusal.tooLarge(limit: limit, declared: declared)
        }
        // Leaving the loop early drops the body stream, which closes the connection.
        var collected = ByteBuffer()
        for try await chunk in response.body {
            guard collected.readableBytes + chunk.readableBytes <= limit else {
                throw Refusal.tooLarge(limit: limit, declared: nil)
            }
            collected.writeImmutableBuffer(chunk)
        }
        return Response(status: status, body: Data(buffer: collected))
    }
}
