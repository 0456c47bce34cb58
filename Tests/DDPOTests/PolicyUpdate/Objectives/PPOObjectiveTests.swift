import Foundation
import Torch
import XCTest

@testable import DDPO

final class PPOObjectiveTests: XCTestCase {
    func testDefaultClipRange() {
        XCTAssertEqual(PPOObjective().clipRange, 1e-4)
    }

    func testRatioOfOneGivesMinusMeanAdvantageAndTheScoreFunctionGradient() {
        // new = old: ratio = 1 inside any clip range, both branches equal -A, so
        // loss = -mean(A) = -(1 - 2 + 0.5) / 3 = 1/6; nothing clipped, no KL; and
        // d loss / d new_i = -A_i ratio_i / B = -A_i / 3 = [-1/3, 2/3, -1/6].
        let old = Tensor([-1.2, 0.3, 2.0])
        let new = Tensor([-1.2, 0.3, 2.0]).requiringGrad()
        let output = PPOObjective().evaluate(newLogProbs: new, oldLogProbs: old, advantages: Tensor([1.0, -2.0, 0.5]))
        XCTAssertEqual(output.loss.item(), 1.0 / 6.0, accuracy: 1e-15)
        XCTAssertEqual(output.clipFraction, 0)
        XCTAssertEqual(output.approxKL, 0)
        let gradient = gradients(of: [output.loss], withRespectTo: [new])[0]!.toArray(Double.self)
        assertEqual(gradient, [-1.0 / 3.0, 2.0 / 3.0, -1.0 / 6.0])
    }

    func testWorkedExampleWithRatiosOutsideTheClipRange() {
        // ε = 0.2 (clip to [0.8, 1.2]), B = 5, old = 0, new = log(ratio):
        //  i  A   ratio  -A·ratio  -A·clip(ratio)  max (branch)   d loss/d new_i
        //  0  1   1.5    -1.5      -1.2            -1.2 clipped   0
        //  1  -1  1.5     1.5       1.2             1.5 unclipped -A·ratio/B = 1.5/5 = 0.3
        //  2  2   0.5    -1.0      -1.6            -1.0 unclipped -2·0.5/5 = -0.2
        //  3  -2  0.5     1.0       1.6             1.6 clipped   0
        //  4  3   1.1    -3.3      -3.3            -3.3 (inside)  -3·1.1/5 = -0.66
        // loss = (-1.2 + 1.5 - 1.0 + 1.6 - 3.3) / 5 = -2.4 / 5 = -0.48
        // clipfrac = 4/5 (all but sample 4)
        // approx_kl = 0.5 · (2·ln²1.5 + 2·ln²0.5 + ln²1.1) / 5
        //           = 0.5 · (2·0.16440195389316542 + 2·0.4804530139182014 + 0.009084030374) / 5
        //           = 0.12987939659970665
        let ratios = [1.5, 1.5, 0.5, 0.5, 1.1]
        let new = Tensor(ratios.map { Foundation.log($0) }).requiringGrad()
        let old = Tensor([Double](repeating: 0, count: 5))
        let output = PPOObjective(clipRange: 0.2).evaluate(
            newLogProbs: new, oldLogProbs: old,
            advantages: Tensor([1.0, -1.0, 2.0, -2.0, 3.0]))
        XCTAssertEqual(output.loss.item(), -0.48, accuracy: 1e-14)
        XCTAssertEqual(output.clipFraction, 0.8, accuracy: 1e-15)
        XCTAssertEqual(output.approxKL, 0.12987939659970665, accuracy: 1e-14)
        let gradient = gradients(of: [output.loss], withRespectTo: [new])[0]!.toArray(Double.self)
        assertEqual(gradient, [0, 0.3, -0.2, 0, -0.66])
    }

    func testDefaultRangeOnTheMeanLogProbScale() {
        // ε = 1e-4, A = 1, new - old = [2e-4, -2e-4, 5e-5]:
        //   ratio e^{2e-4} = 1.00020002 > 1.0001: max(-1.00020002, -1.0001) = -1.0001 (clipped)
        //   ratio e^{-2e-4} = 0.99980002 < 0.9999: max(-0.99980002, -0.9999) = -0.99980002 (unclipped)
        //   ratio e^{5e-5} = 1.00005000125 inside: -1.00005000125
        // loss = -(1.0001 + 0.999800019998667 + 1.0000500012500208) / 3 = -0.9999833404162292
        // clipfrac 2/3; approx_kl = 0.5 · (4e-8 + 4e-8 + 2.5e-9) / 3 = 1.375e-8
        let output = PPOObjective().evaluate(
            newLogProbs: Tensor([2e-4, -2e-4, 5e-5]),
            oldLogProbs: Tensor([0.0, 0.0, 0.0]),
            advantages: Tensor([1.0, 1.0, 1.0]))
        XCTAssertEqual(output.loss.item(), -0.9999833404162292, accuracy: 1e-14)
        XCTAssertEqual(output.clipFraction, 2.0 / 3.0, accuracy: 1e-15)
        XCTAssertEqual(output.approxKL, 1.375e-8, accuracy: 1e-20)
    }

    func testFloat32LogProbsWithFloat64Advantages() {
        let new = Tensor([Float(0), 0]).requiringGrad()
        let output = PPOObjective().evaluate(
            newLogProbs: new, oldLogProbs: Tensor([Float(0), 0]),
            advantages: Tensor([2.0, 4.0]))
        XCTAssertEqual(output.loss.dtype, .float32)
        XCTAssertEqual(output.loss.item(), -3)
    }

    private func assertEqual(
        _ actual: [Double], _ expected: [Double], file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(a, e, accuracy: 1e-14, file: file, line: line)
        }
    }
}
