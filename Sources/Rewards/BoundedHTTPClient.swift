import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// HTTP requests whose responses may not exceed a byte limit, and which never
/// follow redirects. `URLSession.data(for:)` alone reads any body whole (a server
/// declaring 2 GiB drove the trainer to 6 GB before the JSON error), and a
/// redirected POST is re-sent by Foundation without its body.
///
/// One session for all requests, its delegate this object; each request's bytes and
/// continuation are kept by task identifier until it completes.
final class BoundedHTTPClient: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: `pending` is guarded by `lock`; the session is thread-safe.

    /// Why a response was refused before it was complete.
    enum Refusal: Error, Equatable {
        /// The body is longer than `limit` bytes (`declared`: what Content-Length said, if it said).
        case tooLarge(limit: Int, declared: Int64?)
        /// A 3xx status: the redirect was not followed.
        case redirect(status: Int, location: String?)
    }

    private struct Pending {
        let limit: Int
        var data = Data()
        let continuation: CheckedContinuation<(Data, URLResponse), Error>
    }

    private let lock = NSLock()
    private var pending: [Int: Pending] = [:]
    private var session: URLSession!

    init(configuration: URLSessionConfiguration) {
        super.init()
        // The session keeps its delegate until `invalidate`.
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
    }

    /// Ends the session (the session holds this object as its delegate until then).
    func invalidate() {
        session.invalidateAndCancel()
    }

    /// The response to `request`, at most `limit` bytes of body. Throws `Refusal`,
    /// the transport's `URLError`, or `CancellationError` when the task is cancelled.
    func data(for request: URLRequest, limit: Int) async throws -> (Data, URLResponse) {
        let task = session.dataTask(with: request)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                lock.withLock { pending[task.taskIdentifier] = Pending(limit: limit, continuation: continuation) }
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
    }

    /// Resumes the request's caller once; later calls for the same task do nothing.
    private func finish(_ task: URLSessionTask, _ result: Result<(Data, URLResponse), Error>) {
        let entry = lock.withLock { pending.removeValue(forKey: task.taskIdentifier) }
        entry?.continuation.resume(with: result)
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        let limit = lock.withLock { pending[dataTask.taskIdentifier]?.limit } ?? 0
        if response.expectedContentLength > Int64(limit) {
            finish(dataTask, .failure(Refusal.tooLarge(limit: limit, declared: response.expectedContentLength)))
            completionHandler(.cancel)
        } else {
            completionHandler(.allow)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let overflow: Int? = lock.withLock {
            guard var entry = pending[dataTask.taskIdentifier] else { return nil }
            guard entry.data.count + data.count <= entry.limit else { return entry.limit }
            entry.data.append(data)
            pending[dataTask.taskIdentifier] = entry
            return nil
        }
        if let limit = overflow {
            finish(dataTask, .failure(Refusal.tooLarge(limit: limit, declared: nil)))
            dataTask.cancel()
        }
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        let location = response.value(forHTTPHeaderField: "Location") ?? request.url?.absoluteString
        finish(task, .failure(Refusal.redirect(status: response.statusCode, location: location)))
        completionHandler(nil)
        task.cancel()
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error {
            finish(task, .failure(error))
            return
        }
        guard let response = task.response else {
            finish(task, .failure(URLError(.badServerResponse)))
            return
        }
        let data = lock.withLock { pending[task.taskIdentifier]?.data } ?? Data()
        finish(task, .success((data, response)))
    }
}
