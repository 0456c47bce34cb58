import Foundation

/// How the `remote` reward reaches its server (docs/reward-server.md). Option names
/// are the configuration file's; the defaults suit a model server on the same
/// machine or network.
public struct RemoteRewardSettings: Equatable, Sendable {
    /// How images travel: PNG is lossless (the server sees the exact pixels); JPEG is
    /// about 10× smaller, as ddpo-pytorch's LLaVA server takes them.
    public enum ImageFormat: String, CaseIterable, Sendable {
        case png, jpeg
    }

    public static let optionNames = [
        "url", "format", "jpeg_quality", "timeout_s", "retries", "retry_delay_s", "max_response_bytes"
    ]

    /// `url`: the endpoint that takes the POST, http or https.
    public var url: URL
    /// `format`: png (default) or jpeg.
    public var format: ImageFormat
    /// `jpeg_quality`: 1...100, used when `format` is jpeg (default 95).
    public var jpegQuality: Int
    /// `timeout_s`: seconds one attempt may take, request to full response (default 60).
    public var timeout: Double
    /// `retries`: attempts after the first one fails (default 3).
    public var retries: Int
    /// `retry_delay_s`: seconds before the first retry; each further retry waits
    /// twice as long as the one before (default 1: 1 s, 2 s, 4 s).
    public var retryDelay: Double
    /// `max_response_bytes`: the longest response body accepted; longer ones are
    /// refused as they arrive. Default null: 1 MiB plus 64 KiB per image, room for
    /// each reward and a generous `info` entry.
    public var maxResponseBytes: Int?

    public init(
        url: URL, format: ImageFormat = .png, jpegQuality: Int = 95, timeout: Double = 60,
        retries: Int = 3, retryDelay: Double = 1, maxResponseBytes: Int? = nil
    ) {
        precondition((1...100).contains(jpegQuality), "RemoteRewardSettings: jpegQuality \(jpegQuality) not in 1...100")
        precondition(
            timeout > 0 && retries >= 0 && retryDelay >= 0,
            "RemoteRewardSettings: timeout must be positive, retries and retryDelay not negative")
        self.url = url
        self.format = format
        self.jpegQuality = jpegQuality
        self.timeout = timeout
        self.retries = retries
        self.retryDelay = retryDelay
        self.maxResponseBytes = maxResponseBytes
    }

    /// The body limit for a batch of `images`.
    public func responseLimit(images: Int) -> Int {
        maxResponseBytes ?? (1 << 20) + images * (64 << 10)
    }

    /// Reads the options of a configuration; `url` is required.
    public init(options: RewardOptions) throws {
        let text = try options.string("url")
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
            url.host != nil
        else {
            throw options.invalid("url", text, expected: "an http:// or https:// URL with a host")
        }
        let format = try options.choice("format", ImageFormat.allCases.map(\.rawValue), default: "png")
        self.init(
            url: url,
            format: ImageFormat(rawValue: format)!,
            jpegQuality: try options.int("jpeg_quality", default: 95, in: 1...100),
            timeout: try options.double("timeout_s", default: 60, in: 0.001...86_400),
            retries: try options.int("retries", default: 3, in: 0...100),
            retryDelay: try options.double("retry_delay_s", default: 1, in: 0...3_600),
            maxResponseBytes: options.values["max_response_bytes"] == nil
                ? nil : try options.int("max_response_bytes", default: 0, in: 64...(1 << 31)))
    }

    /// Seconds to wait before retry number `retry` (1 for the first).
    public func delay(beforeRetry retry: Int) -> Double {
        retryDelay * pow(2, Double(retry - 1))
    }
}
