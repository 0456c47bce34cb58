import Torch
import XCTest

@testable import DDPO

final class SparseRewardWeightedRegressionTests: XCTestCase {
    func testPercentileIsNumpysLinearInterpolation() {
        typealias Sparse = SparseRewardWeightedRegression
        // 1...10 shuffled, p = 90: sorted v[0...9] = 1...10, h = 9 · 0.9 = 8.1,
        // between v[8] = 9 and v[9] = 10 at 0.1: 9.1 (np.percentile gives 9.1).
        XCTAssertEqual(Sparse.percentile(of: [3, 10, 1, 7, 9, 2, 8, 4, 6, 5], 90), 9.1, accuracy: 1e-12)
        // [1, 2, 3, 4], p = 50: h = 3 · 0.5 = 1.5, γ = 0.5 >= 0.5 so numpy computes
        // from the upper end: 3 - (3 - 2) · 0.5 = 2.5.
        XCTAssertEqual(Sparse.percentile(of: [4, 1, 3, 2], 50), 2.5)
        // 0...10, p = 90: h = 10 · 0.9 = 9 exactly in doubles: v[9] = 9.
        XCTAssertEqual(Sparse.percentile(of: (0...10).map(Double.init), 90), 9)
        // p = 0 and 100 are the minimum and maximum.
        XCTAssertEqual(Sparse.percentile(of: [5, -2, 7], 0), -2)
        XCTAssertEqual(Sparse.percentile(of: [5, -2, 7], 100), 7)
    }

    func testMaskKeepsSamplesAtOrAboveThePercentile() {
        let sparse = SparseRewardWeightedRegression()
        XCTAssertEqual(sparse.percentile, 90)
        // Threshold 9.1 (above): only the 10, at index 1.
        XCTAssertEqual(
            sparse.mask(rewards: [3, 10, 1, 7, 9, 2, 8, 4, 6, 5]),
            [false, true, false, false, false, false, false, false, false, false])
        // 0...10: threshold exactly 9, so the 9 is kept too ("at or above").
        XCTAssertEqual(sparse.mask(rewards: (0...10).map(Double.init)).filter { $0 }.count, 2)
        // [1, 5, 5, 5]: h = 3 · 0.9 = 2.7 between 5 and 5: threshold 5, all three ties kept.
        XCTAssertEqual(sparse.mask(rewards: [1, 5, 5, 5]), [false, true, true, true])
        XCTAssertEqual(sparse.mask(rewards: []), [])
    }

    func testLossIsTheUnweightedMeanOverKeptSamples() {
        // Per-sample errors (as in the RWR test) [0.5, 2, 2]; mask [T, F, T]:
        // loss = (0.5 + 2) / 2 = 1.25; the dropped sample gets no gradient, the kept
        // ones (pred - target)_ij · 2 / (2 elements · 2 kept) = (pred - target)_ij / 2.
        let predicted = Tensor([1.0, 1, 0, 2, 3, 0], shape: [3, 2]).requiringGrad()
        let target = Tensor([0.0, 1, 0, 0, 1, 0], shape: [3, 2])
        let loss = SparseRewardWeightedRegression().loss(
            predictedNoise: predicted, targetNoise: target,
            mask: [true, false, true])
        XCTAssertEqual(loss.item(), 1.25, accuracy: 1e-15)
        let gradient = gradients(of: [loss], withRespectTo: [predicted])[0]!.toArray(Double.self)
        XCTAssertEqual(gradient, [0.5, 0, 0, 0, 1, 0])

        let nothingKept = SparseRewardWeightedRegression().loss(
            predictedNoise: predicted, targetNoise: target,
            mask: [false, false, false])
        XCTAssertEqual(nothingKept.item(), 0)
    }
}
