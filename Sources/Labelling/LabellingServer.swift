import Foundation
import Hummingbird
import Logging
import NIOCore

/// `ddpo label`'s web server: serves the labelling page of one run folder and records
/// the answers a person gives in the run's `preferences/epoch-N.jsonl`, which the
/// trainer waits for. Listens on 127.0.0.1 unless told otherwise, and answers only
/// requests that carry its token.
public struct LabellingServer: Sendable {
    public let runDirectory: URL
    public let host: String
    /// The port asked for; 0 lets the system choose a free one (the URL given to
    /// `run`'s `listening` has the port bound).
    public let port: Int
    public let token: LabellingToken

    public init(runDirectory: URL, host: String = "127.0.0.1", port: Int = 8470, token: LabellingToken = .random()) {
        self.runDirectory = runDirectory
        self.host = host
        self.port = port
        self.token = token
    }

    /// The page's address on `port`, with the token.
    public func url(port: Int) -> String {
        // An IPv6 address goes in brackets in a URL.
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(port)/?token=\(token.value)"
    }

    /// Serves until the task running it is cancelled or, with `stopsOnSignals`, until
    /// SIGINT or SIGTERM. Calls `listening` with the page's URL once the port is bound.
    /// Throws `LabellingServerError.cannotListen` when the address cannot be bound.
    public func run(
        stopsOnSignals: Bool = false, logger: Logger? = nil,
        listening: @escaping @Sendable (_ url: String) async -> Void
    ) async throws {
        let store = LabellingStore(runDirectory: runDirectory)
        let router = LabellingRoutes.router(store: store, token: token)
        let started = StartedFlag()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                started.set()
                await listening(url(port: channel.localAddress?.port ?? port))
            },
            logger: logger)
        do {
            if stopsOnSignals {
                try await app.runService()
            } else {
                try await app.run()
            }
        } catch  where !started.isSet {
            throw LabellingServerError.cannotListen(host: host, port: port, reason: "\(error)")
        }
    }
}

public enum LabellingServerError: Error, CustomStringConvertible, Equatable {
    case cannotListen(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .cannotListen(let host, let port, let reason):
            return "cannot listen on \(host) port \(port): \(reason)"
        }
    }
}

/// Whether the server got as far as listening: an error before that is about the
/// address, one after it is not.
private final class StartedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
