import Torch
import XCTest

/// AdamW and gradient-norm clipping against torch.optim.AdamW (foreach=False) and
/// torch.nn.utils.clip_grad_norm_.
final class OptimizerTests: XCTestCase {
    /// The hyper-parameters of the golden run: lr 1e-2, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2.
    let configuration = AdamW.Configuration(
        learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
        weightDecay: 1e-2)

    func makeOptimizer() throws -> (AdamW, Tensor) {
        let p = try fixture("adamw.p0").requiringGrad()
        return (AdamW(parameters: [("w", p)], configuration: configuration), p)
    }

    /// Sets the golden gradient of step `k` (0-based) and takes the step.
    func step(_ optimizer: AdamW, _ p: Tensor, _ k: Int) throws {
        p.grad = try fixture("adamw.g\(k)")
        optimizer.update()
    }

    func testDefaultConfigurationIsTorchDefaults() {
        // torch.optim.AdamW defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2.
        let c = AdamW.Configuration()
        XCTAssertEqual(
            c,
            AdamW.Configuration(
                learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
                weightDecay: 1e-2))
    }

    func testAdamWFiveStepsMatchTorch() throws {
        let (optimizer, p) = try makeOptimizer()
        for k in 0..<5 {
            try step(optimizer, p, k)
            assertClose(p, try fixture("adamw.p\(k + 1)"), "parameter after step \(k + 1)")
        }
        XCTAssertEqual(optimizer.step, 5)
        let state = optimizer.stateTensors()
        assertClose(try XCTUnwrap(state["w.exp_avg"]), try fixture("adamw.exp_avg"), "exp_avg")
        assertClose(try XCTUnwrap(state["w.exp_avg_sq"]), try fixture("adamw.exp_avg_sq"), "exp_avg_sq")
        XCTAssertEqual(try XCTUnwrap(state["step"]).itemInt(), 5)
        XCTAssertEqual(Set(state.keys), ["step", "w.exp_avg", "w.exp_avg_sq"])
    }

    func testPositionalInitNamesParametersByIndex() throws {
        let p = try fixture("adamw.p0").requiringGrad()
        let optimizer = AdamW([p], configuration: configuration)
        try step(optimizer, p, 0)
        assertClose(p, try fixture("adamw.p1"))
        XCTAssertEqual(Set(optimizer.stateTensors().keys), ["step", "0.exp_avg", "0.exp_avg_sq"])
    }

    func testParameterWithoutGradientIsLeftAlone() throws {
        let p = try fixture("adamw.p0").requiringGrad()
        let frozen = Tensor.ones([2, 2]).requiringGrad()
        let both = AdamW(parameters: [("w", p), ("frozen", frozen)], configuration: configuration)
        try step(both, p, 0)
        assertClose(p, try fixture("adamw.p1"))
        XCTAssertEqual(frozen.toArray(Float.self), [1, 1, 1, 1], "no gradient: no update, not even weight decay")
        XCTAssertEqual(try XCTUnwrap(both.stateTensors()["frozen.exp_avg"]).toArray(Float.self), [0, 0, 0, 0])
    }

    func testZeroGradClearsParameterGradients() throws {
        let (optimizer, p) = try makeOptimizer()
        p.grad = try fixture("adamw.g0")
        XCTAssertNotNil(p.grad)
        optimizer.zeroGrad()
        XCTAssertNil(p.grad)
    }

    func testStateRoundTripContinuesTheSameTrajectory() throws {
        let (original, p) = try makeOptimizer()
        for k in 0..<3 { try step(original, p, k) }

        let restoredParameter = p.detached().clone().requiringGrad()
        let restored = AdamW(parameters: [("w", restoredParameter)], configuration: configuration)
        try restored.loadState(original.stateTensors())
        XCTAssertEqual(restored.step, 3)

        // Step the original first: the restored optimizer must hold its own copy of the state.
        for k in 3..<5 {
            try step(original, p, k)
            try step(restored, restoredParameter, k)
            assertBitwiseEqual(restoredParameter, p, "restored vs original after step \(k + 1)")
            assertClose(restoredParameter, try fixture("adamw.p\(k + 1)"), "restored vs torch after step \(k + 1)")
        }
        let state = restored.stateTensors()
        assertClose(try XCTUnwrap(state["w.exp_avg"]), try fixture("adamw.exp_avg"), "exp_avg")
        assertClose(try XCTUnwrap(state["w.exp_avg_sq"]), try fixture("adamw.exp_avg_sq"), "exp_avg_sq")
    }

    func testLoadStateWithMissingEntryThrowsNamingIt() throws {
        let (optimizer, p) = try makeOptimizer()
        try step(optimizer, p, 0)
        var state = optimizer.stateTensors()
        state["w.exp_avg"] = nil
        let target = AdamW(parameters: [("w", p.detached().clone())], configuration: configuration)
        XCTAssertThrowsError(try target.loadState(state)) { error in
            XCTAssertTrue("\(error)".contains("w.exp_avg"), "message does not name the entry: \(error)")
        }
        XCTAssertEqual(target.step, 0, "a failed load must leave the optimizer untouched")
    }

    func testLoadStateWithMissingStepThrows() throws {
        let (optimizer, _) = try makeOptimizer()
        var state = optimizer.stateTensors()
        state["step"] = nil
        XCTAssertThrowsError(try optimizer.loadState(state)) { error in
            XCTAssertTrue("\(error)".contains("step"), "message does not name 'step': \(error)")
        }
    }

    func testLoadStateWithWrongShapeThrowsNamingItAndKeepsState() throws {
        let (optimizer, p) = try makeOptimizer()
        for k in 0..<2 { try step(optimizer, p, k) }
        var state = optimizer.stateTensors()
        state["step"] = Tensor([Int64(99)], shape: [])
        state["w.exp_avg_sq"] = Tensor.zeros([4, 3])
        XCTAssertThrowsError(try optimizer.loadState(state)) { error in
            XCTAssertTrue(error is TorchError, "expected a TorchError, got \(error)")
            XCTAssertTrue("\(error)".contains("w.exp_avg_sq"), "message does not name the entry: \(error)")
            XCTAssertTrue("\(error)".contains("[4, 3]"), "message does not give the bad shape: \(error)")
        }
        // Nothing was half-applied: the golden trajectory continues.
        XCTAssertEqual(optimizer.step, 2)
        for k in 2..<5 { try step(optimizer, p, k) }
        assertClose(p, try fixture("adamw.p5"))
    }

    // MARK: Gradient clipping

    func clipParameters() throws -> [Tensor] {
        try (0..<3).map { i in
            let g = try fixture("clip_grad_norm.g\(i)")
            let p = Tensor.zeros(g.shape).requiringGrad()
            p.grad = g
            return p
        }
    }

    func testClipGradNormMatchesTorch() throws {
        let parameters = try clipParameters()
        let total = clipGradientNorm(parameters, maxNorm: 1.0, normType: 2)
        let expectedTotal = try fixture("clip_grad_norm.total_norm")
        XCTAssertEqual(expectedTotal.shape, [1])
        XCTAssertEqual(total, expectedTotal.item(), accuracy: 1e-5 * expectedTotal.item())
        XCTAssertEqual(total, 3.0, accuracy: 1e-5, "the script scales the joint norm to 3")
        for (i, p) in parameters.enumerated() {
            assertClose(try XCTUnwrap(p.grad), try fixture("clip_grad_norm.clipped\(i)"), "clipped\(i)")
        }
    }

    func testClipGradNormBelowMaximumLeavesGradientsUnchanged() throws {
        let parameters = try clipParameters()
        let total = clipGradientNorm(parameters, maxNorm: 10.0)
        XCTAssertEqual(total, 3.0, accuracy: 1e-5)
        for (i, p) in parameters.enumerated() {
            assertBitwiseEqual(try XCTUnwrap(p.grad), try fixture("clip_grad_norm.g\(i)"), "g\(i)")
        }
    }

    func testClipGradNormIgnoresParametersWithoutGradient() throws {
        let parameters = try clipParameters() + [Tensor.ones([7]).requiringGrad()]
        let total = clipGradientNorm(parameters, maxNorm: 1.0)
        XCTAssertEqual(total, try fixture("clip_grad_norm.total_norm").item(), accuracy: 1e-4)
        XCTAssertNil(parameters[3].grad)
        assertClose(try XCTUnwrap(parameters[0].grad), try fixture("clip_grad_norm.clipped0"))
    }
}
