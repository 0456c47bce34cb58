import Torch
import XCTest

@testable import DDPO

final class RewardWeightedRegressionTests: XCTestCase {
    func testWeightsAreBatchSoftmaxWithMeanOne() {
        // β = 0.2, rewards [0, 5, 10] -> logits [0, 1, 2];
        // e^0 = 1, e^1 = 2.718281828459045, e^2 = 7.38905609893065, sum 11.107337927389695;
        // softmax = [0.09003057317038046, 0.24472847105479767, 0.6652409557748219];
        // times B = 3: [0.27009171951114136, 0.734185413164393, 1.9957228673244656].
        let rwr = RewardWeightedRegression()
        XCTAssertEqual(rwr.beta, 0.2)
        let weights = rwr.weights(rewards: [0, 5, 10])
        let expected = [0.27009171951114136, 0.734185413164393, 1.9957228673244656]
        for (actual, wanted) in zip(weights, expected) {
            XCTAssertEqual(actual, wanted, accuracy: 1e-14)
        }
        XCTAssertEqual(weights.reduce(0, +) / 3, 1, accuracy: 1e-15)
    }

    func testWeightsWithoutOverflowAndAtZeroBeta() {
        // Huge equal rewards: e^{0.2·1e4} overflows a double, the shifted form does not.
        XCTAssertEqual(RewardWeightedRegression().weights(rewards: [1e4, 1e4]), [1, 1])
        XCTAssertEqual(RewardWeightedRegression(beta: 0).weights(rewards: [-3, 0, 8]), [1, 1, 1])
        XCTAssertEqual(RewardWeightedRegression().weights(rewards: []), [])
    }

    func testWeightedLossAndGradient() {
        // pred - target = [[1, 0], [0, 2], [2, 0]]; squared error averaged over the
        // 2 non-batch elements: [0.5, 2, 2]. Weights [0.5, 1, 1.5]:
        // loss = (0.25 + 2 + 3) / 3 = 1.75;
        // d loss / d pred_ij = w_i · 2 (pred - target)_ij / (2 · 3) = w_i (pred - target)_ij / 3
        //                    = [[1/6, 0], [0, 2/3], [1, 0]].
        let predicted = Tensor([1.0, 1, 0, 2, 3, 0], shape: [3, 2]).requiringGrad()
        let target = Tensor([0.0, 1, 0, 0, 1, 0], shape: [3, 2])
        let loss = RewardWeightedRegression().loss(
            predictedNoise: predicted, targetNoise: target,
            sampleWeights: [0.5, 1, 1.5])
        XCTAssertEqual(loss.item(), 1.75, accuracy: 1e-15)
        let gradient = gradients(of: [loss], withRespectTo: [predicted])[0]!.toArray(Double.self)
        for (actual, wanted) in zip(gradient, [1.0 / 6.0, 0, 0, 2.0 / 3.0, 1, 0]) {
            XCTAssertEqual(actual, wanted, accuracy: 1e-15)
        }
    }

    func testLossAveragesOverEveryNonBatchDimension() {
        // [B, C, H, W] = [2, 1, 2, 2]: sample 0 errs by 1 in one of 4 elements (mean
        // 0.25), sample 1 by 2 in all 4 (mean 4); weights [1, 1]: loss (0.25 + 4) / 2.
        let predicted = Tensor([Float(1), 0, 0, 0, 2, 2, 2, 2], shape: [2, 1, 2, 2])
        let target = Tensor([Float](repeating: 0, count: 8), shape: [2, 1, 2, 2])
        let loss = RewardWeightedRegression().loss(
            predictedNoise: predicted, targetNoise: target, sampleWeights: [1, 1])
        XCTAssertEqual(loss.dtype, .float32)
        XCTAssertEqual(loss.item(), 2.125, accuracy: 1e-6)
    }
}
