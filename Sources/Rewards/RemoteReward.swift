import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// Scores images on a reward server over HTTP/JSON (docs/reward-server.md), so
/// reward models that exist only in Python (LLaVA + BERTScore, ImageReward,
/// PickScore) can drive training. `scripts/reward_server.py` is the reference server.
///
/// Each attempt must finish within `timeout`; failed attempts are retried with
/// exponential backoff; after the last one, `RemoteRewardError` names the URL and
/// the last failure. Uses no libtorch (images are encoded with libpng / libjpeg),
/// so it can run concurrently with sampling.
public final class RemoteReward: Reward, Sendable {
    public static let registryName = "remote"

    public let settings: RemoteRewardSettings

    public init(settings: RemoteRewardSettings) {
        self.settings = settings
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
        let response: BoundedHTTPClient.Response
        do {
            response = try await send(body, limit: limit)
        } catch let refusal as BoundedHTTPClient.Refusal {
            switch refusal {
            case .tooLarge(let limit, let declared):
                throw RemoteRewardFailure.responseTooLarge(limit: limit, declared: declared)
            case .redirect(let status, let location):
                throw RemoteRewardFailure.redirect(status: status, location: location ?? "")
            }
        } catch let failure as RemoteRewardFailure {
            throw failure
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw failure(error)
        }
        guard response.status == 200 else {
            let text = String(decoding: response.body.prefix(300), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw RemoteRewardFailure.httpStatus(response.status, body: text)
        }
        return try RemoteRewardResponse.parse(response.body, expectedCount: expectedCount)
    }

    /// The response, or `RemoteRewardFailure.timeout` when none is complete within
    /// `settings.timeout`: whichever comes first wins and the other is cancelled.
    /// (The client's own deadline, a second later, is only a backstop.)
    private func send(_ body: Data, limit: Int) async throws -> BoundedHTTPClient.Response {
        try await withThrowingTaskGroup(of: BoundedHTTPClient.Response?.self) { group in
            group.addTask {
                try await BoundedHTTPClient.postJSON(
                    body, to: self.settings.url, limit: limit, timeout: self.settings.timeout + 1)
            }
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

    private func failure(_ error: Error) -> RemoteRewardFailure {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return .timeout(settings.timeout)
            case .remoteConnectionClosed:
                return .connection("connection closed before a complete response")
            default:
                return .connection("\(error)")
            }
        }
        if Self.isConnectionRefused(error) {
            return .connection("connection refused (\(error))")
        }
        if let error = error as? NIOConnectionError, error.dnsAError != nil || error.dnsAAAAError != nil {
            return .connection("host not found (\(error))")
        }
        return .connection("\(error)")
    }

    private static func isConnectionRefused(_ error: Error) -> Bool {
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
        if let error = error as? NIOConnectionError {
            return error.connectionErrors.contains { isConnectionRefused($0.error) }
        }
        return false
    }
}
