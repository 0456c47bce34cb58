import Foundation
import Schedulers
import Torch
import XCTest

@testable import DDPO

final class KLPenaltyTests: XCTestCase {
    /// Means [3, 4, 2, 2] a random distance apart and a per-sample σ in [0.5, 1.5].
    private func randomGaussians(seed: UInt64) -> (mean: Tensor, reference: Tensor, sigma: Tensor) {
        let g = Generator(seed: seed)
        let mean = Tensor.randn([3, 4, 2, 2], generator: g)
        let reference = mean + 0.3 * Tensor.randn([3, 4, 2, 2], generator: g)
        let sigma = (Tensor.rand([3], generator: g) + 0.5).reshaped([3, 1, 1, 1])
        return (mean, reference, sigma)
    }

    func testClosedFormIsTheGeneralGaussianKLWithEqualVariances() {
        // KL(N(m1, s1²) ‖ N(m2, s2²)) = log(s2 / s1) + (s1² + (m1 − m2)²) / (2 s2²) − 1/2 per element.
        let (mean, reference, sigma) = randomGaussians(seed: 1)
        let kl = KLPenalty.divergence(mean: mean, referenceMean: reference, standardDeviation: sigma).toArray(
            Double.self)
        let m1 = mean.toArray(Double.self)
        let m2 = reference.toArray(Double.self)
        let s = sigma.toArray(Double.self)
        for b in 0..<3 {
            var expected = 0.0
            for e in 0..<16 {
                let d = m1[b * 16 + e] - m2[b * 16 + e]
                expected += Foundation.log(s[b] / s[b]) + (s[b] * s[b] + d * d) / (2 * s[b] * s[b]) - 0.5
            }
            XCTAssertEqual(kl[b], expected, accuracy: 1e-5 * max(1, expected))
        }
    }

    func testClosedFormIsTheExpectedLogProbabilityDifference() {
        // KL = E_{x ~ p}[log p(x) − log q(x)], with the scheduler's own log-density
        // (meaned over elements, so × 16 for the sum), estimated from 20,000 draws.
        let (mean, reference, sigma) = randomGaussians(seed: 2)
        let draws = 20_000
        let full = [draws, 3, 4, 2, 2]
        let x =
            mean.expanded(to: full) + sigma.expanded(to: [draws, 3, 1, 1, 1])
            * Tensor.randn(full, generator: Generator(seed: 3))
        func logDensity(_ center: Tensor) -> Tensor {
            DDIMScheduler.gaussianLogProbability(
                of: x.reshaped([draws * 3, 4, 2, 2]), mean: center.expanded(to: full).reshaped([draws * 3, 4, 2, 2]),
                standardDeviation: sigma.expanded(to: [draws, 3, 1, 1, 1]).reshaped([draws * 3, 1, 1, 1])
            ).reshaped([draws, 3]) * 16.0
        }
        let difference = logDensity(mean) - logDensity(reference)
        let estimate = difference.mean(dim: 0).toArray(Double.self)
        let kl = KLPenalty.divergence(mean: mean, referenceMean: reference, standardDeviation: sigma).toArray(
            Double.self)
        for b in 0..<3 {
            // Var of one draw's difference is Σ d² / σ² = 4 KL: five standard errors.
            let tolerance = 5 * (4 * kl[b] / Double(draws)).squareRoot()
            XCTAssertEqual(estimate[b], kl[b], accuracy: tolerance, "sample \(b)")
        }
    }

    func testGradientIsTheMeanDifferenceOverVarianceAndSkipsTheReference() {
        let (mean, reference, sigma) = randomGaussians(seed: 4)
        let trained = mean.detached().clone()
        trained.requiresGrad = true
        let frozen = reference.detached().clone()
        frozen.requiresGrad = true
        KLPenalty.divergence(mean: trained, referenceMean: frozen, standardDeviation: sigma).sum().backward()
        let expected = (mean - reference) / sigma.square()
        XCTAssertLessThan((trained.grad! - expected).abs().max().item(), 1e-6)
        XCTAssertNil(frozen.grad, "no gradient may reach the reference")
    }

    func testEqualMeansGiveExactlyZero() {
        let (mean, _, sigma) = randomGaussians(seed: 5)
        let kl = KLPenalty.divergence(mean: mean, referenceMean: mean.clone(), standardDeviation: sigma)
        XCTAssertEqual(kl.toArray(Double.self), [0, 0, 0])
    }
}
