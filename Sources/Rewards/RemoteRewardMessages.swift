import Files
import Foundation
import ImageCodecs
import Torch

/// The JSON a reward server receives (docs/reward-server.md).
struct RemoteRewardRequest: Encodable {
    /// Base64 of each image file (PNG or JPEG), in batch order.
    var images: [String]
    var format: String
    var prompts: [String]
    var metadata: [[String: String]]

    init(_ input: RewardInput, settings: RemoteRewardSettings) throws {
        images = try input.images.enumerated().map { index, image in
            do {
                let bytes =
                    settings.format == .png ? try image.pngData() : try image.jpegData(quality: settings.jpegQuality)
                return Data(bytes).base64EncodedString()
            } catch {
                throw RewardError.imageEncoding(reward: RemoteReward.registryName, index: index, message: "\(error)")
            }
        }
        format = settings.format.rawValue
        prompts = input.prompts
        metadata = input.metadata
    }
}

/// The JSON a reward server answers with.
struct RemoteRewardResponse: Decodable {
    /// null stands for a sample the server could not score; it becomes NaN, which
    /// `CheckedReward` reports or drops like any non-finite reward.
    var rewards: [Double?]
    /// Optional: per-sample numbers for logging.
    var info: [[String: Double]]?

    /// Parses and checks the counts. JSON5 mode accepts the bare NaN, Infinity and
    /// -Infinity that Python's json module writes for non-finite floats.
    static func parse(_ body: Data, expectedCount: Int) throws -> RewardBatch {
        // Foundation's JSON5 scanner traps on a byte that is not UTF-8 where it expects a
        // key ("{", byte 0xFE, "info": ...; found by Tests/FuzzTests): refused first.
        guard String(data: body, encoding: .utf8) != nil else {
            throw RemoteRewardFailure.malformedResponse("the body is not UTF-8 text (\(body.count) bytes)")
        }
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        let response: RemoteRewardResponse
        do {
            response = try decoder.decode(RemoteRewardResponse.self, from: body)
        } catch {
            let start = String(decoding: body.prefix(120), as: UTF8.self)
            throw RemoteRewardFailure.malformedResponse(
                "\(ConfigurationFile.describe(error)); body starts \"\(start)\"")
        }
        guard response.rewards.count == expectedCount else {
            throw RemoteRewardFailure.wrongCount(field: "rewards", expected: expectedCount, got: response.rewards.count)
        }
        if let info = response.info, info.count != expectedCount {
            throw RemoteRewardFailure.wrongCount(field: "info", expected: expectedCount, got: info.count)
        }
        return RewardBatch(rewards: response.rewards.map { $0 ?? .nan }, info: response.info)
    }
}
