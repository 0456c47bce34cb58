import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Scores images on a reward server over HTTP/JSON (docs/reward-server.md), so
/// reward models that exist only in Python (LLaVA + BERTScore, ImageReward,
/// PickScore) can drive training. `scripts/reward_server.py` is the reference server.
///
/// Each attempt must finish within `timeout`; failed attempts are retried with
/// exponential backoff; after the last one, `RemoteRewardError` names the URL and
/// the last failure. Uses no libtorch (images are encoded with libpng / libjpeg),
/// so it can run concurrently with sampling.
public final class RemoteReward: Reward, @unchecked Sendable {
    // @unchecked: every stored property is immutable and the client is thread-safe.
    public static let registryName = "remote"

    public let settings: RemoteRewardSettings
    private let client: BoundedHTTPClient

    public init(settings: RemoteRewardSettings) {
        self.settings = settings
        let configuration = URLSessionConfiguration.ephemeral
        // The attempt's timeout is enforced by `send`. URLSession's own timeouts are
        // only a backstop set beyond it: on Linux they are truncated to whole seconds
        // (0.3 s fires at once), and the request timeout restarts with every byte.
        configuration.timeoutIntervalForRequest = (settings.timeout + 1).rounded(.up)
        configuration.timeoutIntervalForResource = (settings.timeout + 1).rounded(.up)
        client = BoundedHTTPClient(configuration: configuration)
    }

    deinit {
        // Without this, a URLSession and its delegate are never freed.
        client.invalidate()
    }

    public var name: String { Self.registryName }
    public var usesLibtorch: Bool { false }

    public func score(_ input: RewardInput) async throws -> RewardBatch {
        let body = try JSONEncoder().encode(RemoteRewardRequest(input, settings: settings))
        var attempt = 1
        while true {
            do {
                return try await post(
                    body, expectedCount: input.count, limit: settings.responseLimit(images: input.count))
            } catch let failure as RemoteRewardFailure {
                guard failure.isRetryable, attempt <= settings.retries else {
                    throw RemoteRewardError(url: settings.url, attempts: attempt, lastFailure: failure)
                }
            }
            try await Task.sleep(nanoseconds: UInt64(settings.delay(beforeRetry: attempt) * 1e9))
            attempt += 1
        }
    }

    /// One attempt; throws `RemoteRewardFailure`, or `CancellationError` when the task is cancelled.
    private func post(_ body: Data, expectedCount: Int, limit: Int) async throws -> RewardBatch {
        var request = URLRequest(url: settings.url, timeoutInterval: (settings.timeout + 1).rounded(.up))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await send(request, limit: limit)
        } catch let refusal as BoundedHTTPClient.Refusal {
            switch refusal {
            case .tooLarge(let limit, let declared):
                throw RemoteRewardFailure.responseTooLarge(limit: limit, declared: declared)
            case .redirect(let status, let location):
                throw RemoteRewardFailure.redirect(status: status, location: location ?? "")
            }
        } catch let error as URLError {
            if error.code == .cancelled, Task.isCancelled { throw CancellationError() }
            throw failure(error)
        }
        guard let status = (response as? HTTPURLResponse)?.statusCode else {
            throw RemoteRewardFailure.malformedResponse("not an HTTP response")
        }
        guard status == 200 else {
            let text = String(decoding: data.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw RemoteRewardFailure.httpStatus(status, body: text)
        }
        return try RemoteRewardResponse.parse(data, expectedCount: expectedCount)
    }

    /// The response, or `RemoteRewardFailure.timeout` when none is complete within
    /// `settings.timeout`: whichever comes first wins and the other is cancelled.
    private func send(_ request: URLRequest, limit: Int) async throws -> (Data, URLResponse) {
        try await withThrowingTaskGroup(of: (Data, URLResponse)?.self) { group in
            group.addTask { try await self.client.data(for: request, limit: limit) }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(self.settings.timeout * 1e9))
                return nil
            }
            defer { group.cancelAll() }
            guard case let result?? = try await group.next() else {
                throw RemoteRewardFailure.timeout(settings.timeout)
            }
            return result
        }
    }

    private func failure(_ error: URLError) -> RemoteRewardFailure {
        let detail = error.localizedDescription
        switch error.code {
        case .timedOut:
            return .timeout(settings.timeout)
        case .cannotConnectToHost:
            return .connection("connection refused (\(detail))")
        case .networkConnectionLost, .badServerResponse, .zeroByteResource:
            return .connection("connection closed before a complete response (\(detail))")
        case .cannotFindHost, .dnsLookupFailed:
            return .connection("host not found (\(detail))")
        default:
            return .connection(detail)
        }
    }
}
