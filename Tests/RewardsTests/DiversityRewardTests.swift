import ImageCodecs
import Rewards
import XCTest

/// Embeds a 1×1 image as the vector listed under its red value.
private struct TableEmbedder: ImageEmbedder {
    var table: [UInt8: [Double]]
    var usesLibtorch: Bool { false }
    func embeddings(_ images: [RGBImage]) -> [[Double]] { images.map { table[$0.pixels[0]]! } }
}

private func dot(_ red: UInt8) -> RGBImage { RGBImage(width: 1, height: 1, pixels: [red, 0, 0]) }

private func input(_ images: [RGBImage]) -> RewardInput {
    RewardInput(images: images, prompts: images.map { _ in "p" })
}

final class DiversityRewardTests: XCTestCase {
    /// Images 1 and 2 point the same way (a duplicate at another scale), image 3 is orthogonal.
    private let table: [UInt8: [Double]] = [1: [1, 0], 2: [2, 0], 3: [0, 3]]

    func testCosineDistances() {
        let d = DiversityReward.distances([[1, 0], [-2, 0], [1, 1], [0, 0]])
        XCTAssertEqual(d[0][0], 0, accuracy: 1e-12)
        XCTAssertEqual(d[0][1], 2, accuracy: 1e-12)  // opposite
        XCTAssertEqual(d[0][2], 1 - 1 / 2.0.squareRoot(), accuracy: 1e-12)  // 45°
        XCTAssertEqual(d[2][0], d[0][2])
        XCTAssertEqual(d[3][0], 1, accuracy: 1e-12)  // a zero embedding is at distance 1 from everything
    }

    func testBatchValueIsTheMeanPairwiseDistance() {
        // Distances: d12 = 0, d13 = 1, d23 = 1 → V = 2/3; V of one image or none is 0.
        let d = DiversityReward.distances([[1, 0], [2, 0], [0, 3]])
        XCTAssertEqual(DiversityReward.meanPairwiseDistance(d, [0, 1, 2]), 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(DiversityReward.meanPairwiseDistance(d, [1, 2]), 1, accuracy: 1e-12)
        XCTAssertEqual(DiversityReward.meanPairwiseDistance(d, [2]), 0)
        XCTAssertEqual(DiversityReward.meanPairwiseDistance(d, []), 0)
    }

    func testADuplicatedImageEarnsLessThanADistinctOne() async throws {
        // V(B) = 2/3; without image 1 or 2: V = d of the other two = 1, r = 3·2/3 − 2·1 = 0;
        // without image 3: V = d12 = 0, r = 2 − 0 = 2.
        let reward = DiversityReward(embedder: TableEmbedder(table: table))
        let scored = try await reward.score(input([dot(1), dot(2), dot(3)]))
        XCTAssertEqual(scored.batchValue!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(scored.rewards[0], 0, accuracy: 1e-12)
        XCTAssertEqual(scored.rewards[1], 0, accuracy: 1e-12)
        XCTAssertEqual(scored.rewards[2], 2, accuracy: 1e-12)
        // Mean distance to the others: image 1: (0 + 1) / 2, image 3: (1 + 1) / 2.
        XCTAssertEqual(scored.info[0]["mean_distance"]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(scored.info[2]["mean_distance"]!, 1, accuracy: 1e-12)
    }

    func testSharedCreditGivesEveryImageTheBatchValue() async throws {
        let reward = DiversityReward(embedder: TableEmbedder(table: table), credit: .shared)
        let scored = try await reward.score(input([dot(1), dot(2), dot(3)]))
        for r in scored.rewards { XCTAssertEqual(r, 2.0 / 3, accuracy: 1e-12) }
        XCTAssertEqual(scored.batchValue!, 2.0 / 3, accuracy: 1e-12)
    }

    func testPixelFeaturesAverageEachCellAndCentreAtMidGrey() {
        // 2×3 (width 2, height 3) into a 2×2 grid: rows 0 and 1 fall in cell row 0
        // (y·2/3 = 0, 0), row 2 in cell row 1. Red rows: [0, 255], [255, 51], [255, 0].
        let red: [UInt8] = [0, 255, 255, 51, 255, 0]
        let image = RGBImage(width: 2, height: 3, pixels: red.flatMap { [$0, 127, 0] })
        let e = PixelEmbedder(side: 2).embeddings([image])[0]
        XCTAssertEqual(e.count, 2 * 2 * 3)
        let expectedRed = [127.5, 153.0, 255, 0].map { $0 / 127.5 - 1 }  // (0+255)/2, (255+51)/2, 255, 0
        for (cell, expected) in expectedRed.enumerated() {
            XCTAssertEqual(e[cell * 3], expected, accuracy: 1e-12, "cell \(cell)")
            XCTAssertEqual(e[cell * 3 + 1], 127 / 127.5 - 1, accuracy: 1e-12)
            XCTAssertEqual(e[cell * 3 + 2], -1, accuracy: 1e-12)
        }
    }

    func testStandardDiversityDefaultsToPixelsAndPassesTheBatchValueThrough() async throws {
        let reward = try RewardRegistry.standard.make(RewardConfiguration(name: "diversity"))
        XCTAssertFalse(reward.usesLibtorch)
        let black = RGBImage(width: 4, height: 4, pixels: Array(repeating: 0, count: 48))
        let white = RGBImage(width: 4, height: 4, pixels: Array(repeating: 255, count: 48))
        // All −1 against all +1: distance 2, so V = 2; with two images r = 2·2 − 1·V(one image) = 4.
        let scored = try await reward.score(input([black, white]))
        XCTAssertEqual(scored.batchValue!, 2, accuracy: 1e-12)
        for r in scored.rewards { XCTAssertEqual(r, 4, accuracy: 1e-12) }
        let same = try await reward.score(input([white, white]))
        XCTAssertEqual(same.batchValue!, 0, accuracy: 1e-12)
    }

    func testOptionErrorsNameTheOption() {
        func make(_ options: [String: String]) throws -> CheckedReward {
            try RewardRegistry.standard.make(RewardConfiguration(name: "diversity", options: options))
        }
        XCTAssertThrowsError(try make(["features": "recogniser"])) { error in
            XCTAssertEqual(
                "\(error)",
                "reward diversity: option features = \"recogniser\" is invalid; "
                    + "expected one of clip, pixels")
        }
        XCTAssertThrowsError(try make(["credit": "everyone"])) { error in
            XCTAssertTrue("\(error)".contains("option credit = \"everyone\""), "\(error)")
        }
        XCTAssertThrowsError(try make(["model": "/tmp/clip"])) { error in
            XCTAssertTrue("\(error)".contains("option model = \"/tmp/clip\""), "\(error)")
            XCTAssertTrue("\(error)".contains("pixels"), "\(error)")
        }
        XCTAssertThrowsError(try make(["features": "clip"])) { error in
            XCTAssertEqual("\(error)", "reward diversity: missing required option \"model\"")
        }
        XCTAssertThrowsError(try make(["features": "clip", "model": "/nonexistent/clip"])) { error in
            XCTAssertTrue("\(error)".contains("option model = \"/nonexistent/clip\""), "\(error)")
        }
        XCTAssertThrowsError(try make(["feature": "clip"])) { error in
            XCTAssertTrue("\(error)".contains("unknown option \"feature\""), "\(error)")
        }
    }

    func testALibraryCanAddFeatures() async throws {
        let table = self.table
        let registry = RewardRegistry.standard(diversityFeatures: ["table": { _ in TableEmbedder(table: table) }])
        let reward = try registry.make(
            RewardConfiguration(
                name: "diversity",
                options: [
                    "features": "table",
                    "credit": "shared"
                ]))
        let scored = try await reward.score(input([dot(1), dot(3)]))
        XCTAssertEqual(scored.rewards, [1, 1])
        XCTAssertThrowsError(try registry.make(RewardConfiguration(name: "diversity", options: ["features": "x"]))) {
            XCTAssertTrue("\($0)".contains("expected one of clip, pixels, table"), "\($0)")
        }
    }

    func testCLIPFeaturesAreTransformersImageEmbeddings() async throws {
        let reward = try RewardRegistry.standard.make(
            RewardConfiguration(
                name: "diversity", options: ["features": "clip", "model": AestheticFixtures.clip.path]))
        XCTAssertTrue(reward.usesLibtorch)
        let scored = try await reward.score(input(try AestheticFixtures.images()))
        // V from transformers' image_embeds of the three images (scripts/golden/aesthetic.py).
        let e = try AestheticFixtures.reference("image_embeds").to(dtype: .float64)
        let embeddings = (0..<3).map { e[$0].toArray(Double.self) }
        func cosine(_ a: [Double], _ b: [Double]) -> Double {
            func norm(_ v: [Double]) -> Double { v.map { $0 * $0 }.reduce(0, +).squareRoot() }
            return zip(a, b).map { $0 * $1 }.reduce(0, +) / (norm(a) * norm(b))
        }
        let pairs = [(0, 1), (0, 2), (1, 2)]
        let expected = pairs.map { 1 - cosine(embeddings[$0.0], embeddings[$0.1]) }.reduce(0, +) / 3
        XCTAssertEqual(scored.batchValue!, expected, accuracy: 1e-5)  // V is about 0.009 here, float32 features
    }
}
