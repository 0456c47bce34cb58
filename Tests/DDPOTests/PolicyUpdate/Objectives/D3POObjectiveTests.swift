import Foundation
import Torch
import XCTest

@testable import DDPO

final class D3POObjectiveTests: XCTestCase {
    private func gradient(_ output: D3POObjective.Output, _ logProbs: Tensor) -> [Double] {
        gradients(of: [output.loss], withRespectTo: [logProbs])[0]!.toArray(Double.self)
    }

    private func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

    /// At θ = ref every log-ratio is 0: the loss is log 2 and the gradient is
    /// −(β/2) h / P for the first sample and +(β/2) h / P for the second.
    func testAtTheReferenceTheGradientIsHalfBetaTimesThePreference() {
        let reference = Tensor([0.1, 0.2, -0.3, 0.4], shape: [2, 2])
        let logProbs = Tensor([0.1, 0.2, -0.3, 0.4], shape: [2, 2]).requiringGrad()
        let output = D3POObjective(beta: 0.1).evaluate(
            logProbs: logProbs, referenceLogProbs: reference, preferences: Tensor([1.0, -1.0]))
        XCTAssertEqual(output.loss.item(), Foundation.log(2), accuracy: 1e-15)
        XCTAssertEqual(output.clipFraction, 0)
        XCTAssertEqual(output.preferenceAccuracy, 0)
        assertEqual(gradient(output, logProbs), [-0.025, 0.025, 0.025, -0.025])
    }

    /// ε = 0.2 (band [ln 0.8, ln 1.2]), β = 2, reference 0, ratios ρ = exp(log p):
    ///  pair 0, h = +1: ρ¹ 1.5 → clipped to 1.2 (no gradient), ρ² 0.9 inside:
    ///      z = 2 (ln 1.2 − ln 0.9);  d/d log p² = β h σ(−z) / P
    ///  pair 1, h = −1: ρ¹ 1.1 inside, ρ² 0.7 → clipped to 0.8:
    ///      z = −2 (ln 1.1 − ln 0.8); d/d log p¹ = −β h σ(−z) / P
    /// loss = (softplus(−z₀) + softplus(−z₁)) / 2; clip fraction 2 of 4.
    func testWorkedExampleWithClipping() {
        let ratios = [1.5, 0.9, 1.1, 0.7]
        let logProbs = Tensor(ratios.map { Foundation.log($0) }, shape: [2, 2]).requiringGrad()
        let output = D3POObjective(beta: 2, clipRange: 0.2).evaluate(
            logProbs: logProbs, referenceLogProbs: Tensor([Double](repeating: 0, count: 4), shape: [2, 2]),
            preferences: Tensor([1.0, -1.0]))
        let z0 = 2 * (Foundation.log(1.2) - Foundation.log(0.9))
        let z1 = -2 * (Foundation.log(1.1) - Foundation.log(0.8))
        let expected = (Foundation.log(1 + Foundation.exp(-z0)) + Foundation.log(1 + Foundation.exp(-z1))) / 2
        XCTAssertEqual(output.loss.item(), expected, accuracy: 1e-14)
        XCTAssertEqual(output.clipFraction, 0.5)
        // Pair 0 already favours its preferred sample (z0 > 0), pair 1 does not (z1 < 0).
        XCTAssertEqual(output.preferenceAccuracy, 0.5)
        assertEqual(gradient(output, logProbs), [0, 2 * sigmoid(-z0) / 2, 2 * sigmoid(-z1) / 2, 0], accuracy: 1e-14)
    }

    /// Against a float64 loss and gradient written out per pair, on random values
    /// that fall on both sides of the clip band.
    func testMatchesAFloat64Reference() {
        var generator = SplitMix64(seed: 7)
        let pairs = 16
        let beta = 3.0
        let epsilon = 0.1
        let logProbs = (0..<2 * pairs).map { _ in Double.random(in: -0.3...0.3, using: &generator) }
        let reference = (0..<2 * pairs).map { _ in Double.random(in: -0.3...0.3, using: &generator) }
        let preferences = (0..<pairs).map { _ in [-1.0, 0, 1].randomElement(using: &generator)! }
        let low = Foundation.log(1 - epsilon)
        let high = Foundation.log(1 + epsilon)
        var loss = 0.0
        var expectedGradient = [Double](repeating: 0, count: 2 * pairs)
        for pair in 0..<pairs {
            let ratios = [logProbs[2 * pair] - reference[2 * pair], logProbs[2 * pair + 1] - reference[2 * pair + 1]]
            let clipped = ratios.map { Swift.min(Swift.max($0, low), high) }
            let z = beta * preferences[pair] * (clipped[0] - clipped[1])
            loss += Foundation.log(1 + Foundation.exp(-z)) / Double(pairs)
            for side in 0..<2 where ratios[side] > low && ratios[side] < high {
                let sign = side == 0 ? 1.0 : -1.0
                expectedGradient[2 * pair + side] = -sigmoid(-z) * beta * preferences[pair] * sign / Double(pairs)
            }
        }
        let input = Tensor(logProbs, shape: [pairs, 2]).requiringGrad()
        let output = D3POObjective(beta: beta, clipRange: epsilon).evaluate(
            logProbs: input, referenceLogProbs: Tensor(reference, shape: [pairs, 2]),
            preferences: Tensor(preferences))
        XCTAssertEqual(output.loss.item(), loss, accuracy: 1e-13)
        assertEqual(gradient(output, input), expectedGradient, accuracy: 1e-13)
        XCTAssertGreaterThan(output.clipFraction, 0)
        XCTAssertLessThan(output.clipFraction, 1)
    }

    /// Swapping the two samples of each pair and the preference with them changes
    /// neither the loss nor (up to the swap) the gradient; swapping the samples alone
    /// reverses the preference; no preference gives log 2 and no gradient.
    func testSwapsAndNoPreference() {
        let logProbs = [0.03, -0.02, 0.05, 0.01, -0.04, 0.025]
        let swapped = [-0.02, 0.03, 0.01, 0.05, 0.025, -0.04]
        let reference = [Double](repeating: 0, count: 6)
        let swappedReference = reference
        let preferences = [1.0, -1.0, 1.0]
        func run(_ values: [Double], _ reference: [Double], _ preferences: [Double]) -> (Double, [Double]) {
            let input = Tensor(values, shape: [3, 2]).requiringGrad()
            let output = D3POObjective(beta: 5).evaluate(
                logProbs: input, referenceLogProbs: Tensor(reference, shape: [3, 2]),
                preferences: Tensor(preferences))
            return (output.loss.item(), gradient(output, input))
        }
        let (loss, grad) = run(logProbs, reference, preferences)
        let (swappedLoss, swappedGrad) = run(swapped, swappedReference, preferences.map { -$0 })
        XCTAssertEqual(swappedLoss, loss, accuracy: 1e-15)
        assertEqual(swappedGrad, [grad[1], grad[0], grad[3], grad[2], grad[5], grad[4]], accuracy: 1e-15)
        let (reversedLoss, _) = run(swapped, swappedReference, preferences)
        XCTAssertNotEqual(reversedLoss, loss, accuracy: 1e-6)

        let (flatLoss, flatGrad) = run(logProbs, reference, [0, 0, 0])
        XCTAssertEqual(flatLoss, Foundation.log(2), accuracy: 1e-15)
        XCTAssertEqual(flatGrad, [Double](repeating: 0, count: 6))
    }

    /// A large β with the largest margins the band allows stays finite.
    func testLargeBetaStaysFinite() {
        let input = Tensor([1.0, -1.0, -1.0, 1.0], shape: [2, 2]).requiringGrad()
        let output = D3POObjective(beta: 10_000).evaluate(
            logProbs: input, referenceLogProbs: Tensor([0.0, 0, 0, 0], shape: [2, 2]),
            preferences: Tensor([-1.0, -1.0]))
        // Pair 0 wrongly favours its first sample: z = −10⁴ (ln 1.1 − ln 0.9) ≈ −2007;
        // pair 1 rightly favours its second: softplus(−2007) = 0.
        let z = 10_000 * (Foundation.log(1.1) - Foundation.log(0.9))
        XCTAssertEqual(output.loss.item(), z / 2, accuracy: 1e-9)
        XCTAssertTrue(gradient(output, input).allSatisfy(\.isFinite))
    }

    func testPreferencesFromRewards() {
        XCTAssertEqual(D3POObjective.preferences(first: [3, 1, 2], second: [1, 1, 4]), [1, 0, -1])
        XCTAssertEqual(TrainingTask.pairPreferences([3, 1, 1, 1, 2, 4]), [1, -1, 0, 0, -1, 1])
    }
}

extension D3POObjectiveTests {
    fileprivate func assertEqual(
        _ actual: [Double], _ expected: [Double], accuracy: Double = 1e-15, file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(a, e, accuracy: accuracy, file: file, line: line)
        }
    }
}
