import Foundation
import Torch
import XCTest

@testable import DDPO

final class P3OObjectiveTests: XCTestCase {
    private func gradient(_ output: P3OObjective.Output, _ new: Tensor) -> [Double] {
        gradients(of: [output.loss], withRespectTo: [new])[0]!.toArray(Double.self)
    }

    /// new = old: every ratio is 1. Separate: −A + A = 0 per pair; joint: −|A|. Both
    /// have the gradient −A/P for τ¹ and +A/P for τ²: ½(r¹ − r²)∇(log p¹ − log p²).
    func testOnPolicyGradientIsTheDifferenceOfTheTwoScores() {
        let old = Tensor([0.1, 0.2, -0.3, 0.4], shape: [2, 2])
        let advantages = Tensor([0.5, -1.0])
        for clipping in P3OObjective.Clipping.allCases {
            let new = Tensor([0.1, 0.2, -0.3, 0.4], shape: [2, 2]).requiringGrad()
            let output = P3OObjective(clipping: clipping).evaluate(
                newLogProbs: new, oldLogProbs: old, advantages: advantages)
            XCTAssertEqual(output.loss.item(), clipping == .separate ? 0 : -0.75, accuracy: 1e-15, "\(clipping)")
            XCTAssertEqual(output.clipFraction, 0)
            XCTAssertEqual(output.approxKL, 0)
            assertEqual(gradient(output, new), [-0.25, 0.25, 0.5, -0.5])
        }
    }

    func testWorkedExampleWithSeparateClipping() {
        // ε = 0.2, P = 2, old = 0, new = log ρ:
        //  pair 0, A = 1:  τ¹ ρ 1.5: max(−1.5, −1.2) = −1.2 clipped;  τ² ρ 0.5: max(0.5, 0.8) = 0.8 clipped
        //  pair 1, A = −1: τ¹ ρ 1.1: max(1.1, 1.1) = 1.1 inside;     τ² ρ 0.9: max(−0.9, −0.9) = −0.9 inside
        // loss = (−1.2 + 0.8 + 1.1 − 0.9) / 2 = −0.1
        // d/d log p: clipped 0; τ¹ of pair 1: −A ρ / P = 0.55; τ² of pair 1: A ρ / P = −0.45
        // clipfrac: 2 of 4 trajectories; approx_kl = 0.5 · mean(ln²1.5, ln²0.5, ln²1.1, ln²0.9)
        let ratios = [1.5, 0.5, 1.1, 0.9]
        let new = Tensor(ratios.map { Foundation.log($0) }, shape: [2, 2]).requiringGrad()
        let output = P3OObjective(clipRange: 0.2, clipping: .separate).evaluate(
            newLogProbs: new, oldLogProbs: Tensor([Double](repeating: 0, count: 4), shape: [2, 2]),
            advantages: Tensor([1.0, -1.0]))
        XCTAssertEqual(output.loss.item(), -0.1, accuracy: 1e-14)
        XCTAssertEqual(output.clipFraction, 0.5)
        let kl = 0.5 * ratios.map { Foundation.log($0) * Foundation.log($0) }.reduce(0, +) / 4
        XCTAssertEqual(output.approxKL, kl, accuracy: 1e-15)
        assertEqual(gradient(output, new), [0, 0, 0.55, -0.45])
    }

    func testWorkedExampleWithJointClipping() {
        // The same ratios, clipped as ρ = ρ_better / ρ_worse with |A|:
        //  pair 0, A = 1 (τ¹ better):  ρ = 1.5 / 0.5 = 3: max(−3, −1.2) = −1.2 clipped
        //  pair 1, A = −1 (τ² better): ρ = 0.9 / 1.1 = 9/11: max(−9/11, −0.8) = −9/11 inside,
        //      d/d log p² = −|A| ρ / P = −9/22, d/d log p¹ = 9/22
        // loss = (−1.2 − 9/11) / 2 = −111/110; clipfrac: pair 0 only (|9/11 − 1| < 0.2)
        let ratios = [1.5, 0.5, 1.1, 0.9]
        let new = Tensor(ratios.map { Foundation.log($0) }, shape: [2, 2]).requiringGrad()
        let output = P3OObjective(clipRange: 0.2, clipping: .joint).evaluate(
            newLogProbs: new, oldLogProbs: Tensor([Double](repeating: 0, count: 4), shape: [2, 2]),
            advantages: Tensor([1.0, -1.0]))
        XCTAssertEqual(output.loss.item(), -111.0 / 110, accuracy: 1e-14)
        XCTAssertEqual(output.clipFraction, 0.5)
        assertEqual(gradient(output, new), [0, 0, 9.0 / 22, -9.0 / 22])
    }

    /// Swapping the two samples of each pair with the rewards kept negates (and
    /// swaps) the on-policy gradient; swapping samples and rewards together changes
    /// nothing; equal rewards give no gradient at all.
    func testSwapsAndEqualRewards() {
        let logProbs = [0.3, -0.2, 0.05, 0.1, -0.4, 0.25]
        let swapped = [-0.2, 0.3, 0.1, 0.05, 0.25, -0.4]
        let first = [2.0, 1.0, 5.0]
        let second = [1.0, 3.0, 4.5]
        let advantages = P3OObjective.pairAdvantages(first: first, second: second, clip: 5)
        let swappedAdvantages = P3OObjective.pairAdvantages(first: second, second: first, clip: 5)
        assertEqual(swappedAdvantages, advantages.map { -$0 })
        for clipping in P3OObjective.Clipping.allCases {
            let objective = P3OObjective(clipRange: 0.2, clipping: clipping)
            func run(_ values: [Double], _ advantages: [Double]) -> (Double, [Double]) {
                let new = Tensor(values, shape: [3, 2]).requiringGrad()
                let output = objective.evaluate(
                    newLogProbs: new, oldLogProbs: Tensor(values, shape: [3, 2]), advantages: Tensor(advantages))
                return (output.loss.item(), gradient(output, new))
            }
            let (loss, original) = run(logProbs, advantages)
            let (_, samplesSwapped) = run(swapped, advantages)
            // Gradient of the sample now first = minus the gradient it had second.
            let back = stride(from: 0, to: 6, by: 2).flatMap { [-samplesSwapped[$0 + 1], -samplesSwapped[$0]] }
            assertEqual(back, original)
            let (bothLoss, bothSwapped) = run(swapped, swappedAdvantages)
            XCTAssertEqual(bothLoss, loss, accuracy: 1e-14, "\(clipping)")
            assertEqual(stride(from: 0, to: 6, by: 2).flatMap { [bothSwapped[$0 + 1], bothSwapped[$0]] }, original)
            let (_, equal) = run(logProbs, P3OObjective.pairAdvantages(first: first, second: first, clip: 5))
            XCTAssertEqual(equal, [Double](repeating: 0, count: 6), "\(clipping)")
        }
    }

    /// A = ½ Δ / σ(Δ), independent of the reward's units, clipped.
    func testPairAdvantagesNormaliseTheDifferences() {
        // Δ = [2, 0, 2]: mean 4/3, variance 8/9, σ = √8 / 3; A = ½ Δ / σ = [3/√8, 0, 3/√8].
        let advantages = P3OObjective.pairAdvantages(first: [3, 1, 2], second: [1, 1, 0], clip: 5)
        assertEqual(advantages, [3 / 8.0.squareRoot(), 0, 3 / 8.0.squareRoot()])
        let scaled = P3OObjective.pairAdvantages(first: [3000, 1000, 2000], second: [1000, 1000, 0], clip: 5)
        assertEqual(scaled, advantages)
        XCTAssertEqual(P3OObjective.pairAdvantages(first: [3, 1, 2], second: [1, 1, 0], clip: 1), [1, 0, 1])
        // One pair: its own difference is the scale, A = ±½.
        XCTAssertEqual(P3OObjective.pairAdvantages(first: [7], second: [2], clip: 5), [0.5])
        XCTAssertEqual(P3OObjective.pairAdvantages(first: [2, 2], second: [2, 2], clip: 5), [0, 0])
    }

    /// Off-policy float32 values against the formula evaluated in float64 by hand.
    func testFloat32AgainstAFloat64Reference() {
        let newValues: [Float] = [0.31, 0.28, -1.02, -0.97, 0.5, 0.52, 2.0, 1.9]
        let oldValues: [Float] = [0.3, 0.3, -1.0, -1.0, 0.5, 0.5, 2.0, 2.0]
        let advantages = [0.7, -1.3, 0.2, 2.5]
        let epsilon = 0.05
        for clipping in P3OObjective.Clipping.allCases {
            let output = P3OObjective(clipRange: epsilon, clipping: clipping).evaluate(
                newLogProbs: Tensor(newValues, shape: [4, 2]), oldLogProbs: Tensor(oldValues, shape: [4, 2]),
                advantages: Tensor(advantages))
            var expected = 0.0
            for pair in 0..<4 {
                let a = advantages[pair]
                let r1 = Foundation.exp(Double(newValues[2 * pair]) - Double(oldValues[2 * pair]))
                let r2 = Foundation.exp(Double(newValues[2 * pair + 1]) - Double(oldValues[2 * pair + 1]))
                func term(_ ratio: Double, _ a: Double) -> Double {
                    max(-a * ratio, -a * min(max(ratio, 1 - epsilon), 1 + epsilon))
                }
                expected +=
                    clipping == .separate ? term(r1, a) + term(r2, -a) : term(a >= 0 ? r1 / r2 : r2 / r1, abs(a))
            }
            XCTAssertEqual(output.loss.item(), expected / 4, accuracy: 1e-6, "\(clipping)")
        }
    }

    private func assertEqual(
        _ actual: [Double], _ expected: [Double], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(a, e, accuracy: 1e-14, file: file, line: line)
        }
    }
}
