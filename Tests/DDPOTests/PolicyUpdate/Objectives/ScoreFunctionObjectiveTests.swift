import Torch
import XCTest

@testable import DDPO

final class ScoreFunctionObjectiveTests: XCTestCase {
    func testLossAndReinforceGradient() {
        // logp = [-1, 0.5, 2, -3], A = [1, -2, 0.5, 4], B = 4:
        // A·logp = [-1, -1, 1, -12], mean -13/4 = -3.25, loss = 3.25;
        // d loss / d logp_i = -A_i / B = [-0.25, 0.5, -0.125, -1].
        let logProbs = Tensor([-1.0, 0.5, 2.0, -3.0]).requiringGrad()
        let loss = ScoreFunctionObjective().loss(logProbs: logProbs, advantages: Tensor([1.0, -2.0, 0.5, 4.0]))
        XCTAssertEqual(loss.item(), 3.25)
        let gradient = gradients(of: [loss], withRespectTo: [logProbs])[0]!.toArray(Double.self)
        XCTAssertEqual(gradient, [-0.25, 0.5, -0.125, -1])
    }

    func testGradientsAccumulateOverSteps() {
        // Two denoising steps of the same sample: backward() on each step's loss sums
        // the per-step REINFORCE terms, -A/B per step: with A = [2], B = 1, the
        // parameter shared by both steps gets -2 + -2 = -4.
        let parameter = Tensor([0.0]).requiringGrad()
        for _ in 0..<2 {
            let stepLogProbs = parameter * 1.0
            ScoreFunctionObjective().loss(logProbs: stepLogProbs, advantages: Tensor([2.0])).backward()
        }
        XCTAssertEqual(parameter.grad!.toArray(Double.self), [-4])
    }
}
