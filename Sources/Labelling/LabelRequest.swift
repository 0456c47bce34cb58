import DDPO
import Foundation

/// The body of `POST /api/label`: `{"epoch": N, "pair": K, "choice": "first"}`, read
/// field by field so that a wrong body is answered with what exactly is wrong.
struct LabelRequest: Equatable {
    var epoch: Int
    var pair: Int
    var choice: PairChoice

    static let example = #"{"epoch": 0, "pair": 0, "choice": "first"}"#

    /// The fields as sent: each optional, so that a missing one is told apart from
    /// one of the wrong type.
    private struct Body: Decodable {
        var epoch: Int?
        var pair: Int?
        var choice: String?
    }

    /// Reads a body; a refusal (400) says which field is missing or wrong.
    static func parse(_ bytes: [UInt8]) throws -> LabelRequest {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(bytes))
        } catch DecodingError.typeMismatch(_, let context) where !context.codingPath.isEmpty {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            let kind = field == "choice" ? "a string" : "a whole number"
            throw LabellingRefusal(status: 400, message: "'\(field)' must be \(kind); send \(example)")
        } catch {
            throw LabellingRefusal(status: 400, message: "the body is not a JSON object like \(example)")
        }
        guard let epoch = body.epoch else { throw missing("epoch") }
        guard let pair = body.pair else { throw missing("pair") }
        guard let name = body.choice else { throw missing("choice") }
        guard let choice = PairChoice(rawValue: name) else {
            let allowed = PairChoice.allCases.map(\.rawValue).joined(separator: ", ")
            throw LabellingRefusal(status: 400, message: "unknown choice '\(name)': one of \(allowed)")
        }
        return LabelRequest(epoch: epoch, pair: pair, choice: choice)
    }

    private static func missing(_ field: String) -> LabellingRefusal {
        LabellingRefusal(status: 400, message: "the body has no '\(field)'; send \(example)")
    }
}
