import Foundation
import Hummingbird

/// The responses the labelling server sends. None may be cached (labels change under
/// the page) or sniffed as another type, and the page may load nothing from elsewhere
/// (its own meta tag keeps browsers from sending its URL, which holds the token, as a
/// Referer).
enum LabellingReply {
    static let forbiddenMessage = "wrong or missing token: open the URL that `ddpo label` printed"

    static func html(_ text: String) -> Response {
        var headers = common("text/html; charset=utf-8")
        headers[.contentSecurityPolicy] =
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
            + "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: common("text/plain; charset=utf-8"),
            body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    static func png(_ bytes: [UInt8]) -> Response {
        Response(status: .ok, headers: common("image/png"), body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func json<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // The values are plain strings, numbers and arrays: encoding them cannot fail;
        // were it to, the page gets an error it can show rather than a dropped connection.
        let bytes =
            (try? encoder.encode(value)).map { Array($0) } ?? Array(#"{"error": "cannot encode the answer"}"#.utf8)
        return Response(
            status: status, headers: common("application/json"), body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `{"error": message}` with its status.
    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(["error": message], status: status)
    }

    static func refusal(_ refusal: LabellingRefusal) -> Response {
        error(HTTPResponse.Status(code: refusal.status), refusal.message)
    }

    private static func common(_ contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        headers[.xContentTypeOptions] = "nosniff"
        return headers
    }
}
