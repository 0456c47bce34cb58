import Torch
import XCTest

/// `checkpointed`: the gradients of a checkpointed computation are bitwise those of the
/// plain one (the backward recomputes the same ops on the same values), for the inputs,
/// the parameters and what lies before them, through `backward()` and `gradients(of:)`.
final class CheckpointTests: XCTestCase {
    /// A small two-output "block": trainable weight and bias, a frozen scale, an input
    /// that requires gradients (computed from an upstream weight) and one that does not.
    private struct Setup {
        let upstream = Tensor.randn([5, 4], generator: Generator(seed: 1)).requiringGrad()
        let start = Tensor.randn([5, 4], generator: Generator(seed: 2)).requiringGrad()
        let weight = Tensor.randn([4, 3], generator: Generator(seed: 3)).requiringGrad()
        let bias = Tensor.randn([3], generator: Generator(seed: 4)).requiringGrad()
        let frozen = Tensor.randn([3], generator: Generator(seed: 5))
        let context = Tensor.randn([5, 3], generator: Generator(seed: 6))

        /// Every tensor that receives a gradient.
        var differentiated: [Tensor] { [upstream, start, weight, bias] }

        func block(_ x: Tensor, _ context: Tensor) -> [Tensor] {
            let hidden = (x.matmul(weight) + bias).tanh() * frozen + context
            return [hidden.square(), hidden.sin() * hidden]
        }

        /// The block's input, computed (so the gradient must flow through it to `upstream`).
        func input() -> Tensor { (start * upstream).sigmoid() }

        func loss(_ outputs: [Tensor]) -> Tensor { outputs[0].sum() + 3 * outputs[1].mean() }

        func plainLoss() -> Tensor { loss(block(input(), context)) }

        func checkpointedLoss() -> Tensor {
            loss(checkpointed([input(), context], parameters: [weight, bias]) { block($0[0], $0[1]) })
        }

        func gradientsByBackward(_ loss: () -> Tensor) -> [[UInt8]] {
            for tensor in differentiated { tensor.zeroGrad() }
            loss().backward()
            defer { for tensor in differentiated { tensor.zeroGrad() } }
            return differentiated.map { $0.grad!.bytes() }
        }

        func gradientsByAutograd(_ loss: () -> Tensor) -> [[UInt8]] {
            Torch.gradients(of: [loss()], withRespectTo: differentiated).map { $0!.bytes() }
        }
    }

    func testGradientsEqualThePlainOnesThroughBackward() {
        let setup = Setup()
        XCTAssertEqual(setup.plainLoss().bytes(), setup.checkpointedLoss().bytes())
        let plain = setup.gradientsByBackward(setup.plainLoss)
        let recomputed = setup.gradientsByBackward(setup.checkpointedLoss)
        XCTAssertEqual(plain, recomputed, "gradients of upstream, start, weight, bias")
        XCTAssertNil(setup.frozen.grad)
    }

    func testGradientsEqualThePlainOnesThroughAutogradGrad() {
        let setup = Setup()
        let plain = setup.gradientsByAutograd(setup.plainLoss)
        let recomputed = setup.gradientsByAutograd(setup.checkpointedLoss)
        XCTAssertEqual(plain, recomputed)
        // autograd.grad does not write .grad, through the checkpoint's re-run neither.
        for tensor in setup.differentiated { XCTAssertNil(tensor.grad) }
    }

    /// The parameters alone (inputs that need no gradient): they still get theirs.
    func testParametersGetGradientsWhenNoInputRequiresThem() {
        let setup = Setup()
        let input = withNoGrad { setup.input() }
        let parameters = [setup.weight, setup.bias]
        let plain = Torch.gradients(of: [setup.loss(setup.block(input, setup.context))], withRespectTo: parameters)
        let loss = setup.loss(
            checkpointed([input, setup.context], parameters: parameters) { setup.block($0[0], $0[1]) })
        let recomputed = Torch.gradients(of: [loss], withRespectTo: parameters)
        XCTAssertEqual(plain.map { $0!.bytes() }, recomputed.map { $0!.bytes() })
    }

    func testAnOutputLeftOutOfTheLossGetsNoGradient() {
        let setup = Setup()
        let plain = setup.gradientsByBackward { setup.block(setup.input(), setup.context)[1].sum() }
        let recomputed = setup.gradientsByBackward {
            checkpointed([setup.input(), setup.context], parameters: [setup.weight, setup.bias]) {
                setup.block($0[0], $0[1])
            }[1].sum()
        }
        XCTAssertEqual(plain, recomputed)
    }

    func testTheForwardKeepsNoGraphAndTheBackwardRunsTheBodyOnceMore() {
        let setup = Setup()
        var runs = 0
        let outputs = checkpointed([setup.input(), setup.context], parameters: [setup.weight, setup.bias]) {
            runs += 1
            XCTAssertEqual(isGradEnabled, runs > 1, "no grad in the forward, grad in the re-run")
            return setup.block($0[0], $0[1])
        }
        XCTAssertEqual(runs, 1)
        XCTAssertTrue(outputs.allSatisfy(\.requiresGrad))
        setup.loss(outputs).backward()
        XCTAssertEqual(runs, 2)
        XCTAssertTrue(isGradEnabled)
    }

    func testWithoutGradModeOrAnythingToDifferentiateTheBodyRunsDirectly() {
        let setup = Setup()
        var runs = 0
        let sampled = withNoGrad {
            checkpointed([setup.input(), setup.context], parameters: [setup.weight, setup.bias]) {
                runs += 1
                return setup.block($0[0], $0[1])
            }
        }
        XCTAssertEqual(runs, 1)
        XCTAssertFalse(sampled.contains(where: \.requiresGrad))
        let expected = withNoGrad { setup.block(setup.input(), setup.context) }
        XCTAssertEqual(sampled.map { $0.bytes() }, expected.map { $0.bytes() })
        // Grad mode on, but nothing requires gradients: the body's own result, no node.
        let constant = Tensor.ones([5, 4])
        let direct = checkpointed([constant], parameters: []) { [$0[0] * 2] }
        XCTAssertFalse(direct[0].requiresGrad)
    }

    /// The re-run happens in the backward, outside the forward's autocast scope: it must
    /// still compute in bf16, as the forward did.
    func testTheRecomputationUsesTheForwardsAutocastSettings() {
        let setup = Setup()
        func underAutocast(_ loss: @escaping () -> Tensor) -> () -> Tensor {
            { Autocast.run(on: .cpu, dtype: .bfloat16) { loss() }.to(dtype: .float32) }
        }
        let plain = setup.gradientsByBackward(underAutocast(setup.plainLoss))
        let recomputed = setup.gradientsByBackward(underAutocast(setup.checkpointedLoss))
        XCTAssertEqual(plain, recomputed)
        let fullPrecision = setup.gradientsByBackward(setup.plainLoss)
        XCTAssertNotEqual(plain, fullPrecision, "the matmul ran in bf16")
        XCTAssertFalse(Autocast.isEnabled(on: .cpu))
    }

    func testAParameterChangedBeforeTheBackwardIsAnError() {
        let setup = Setup()
        let loss = setup.checkpointedLoss()
        withNoGrad { setup.weight.add(Tensor.ones([4, 3]), alpha: 0.1) }
        XCTAssertThrowsError(try withTorchErrors { loss.backward() }) { error in
            XCTAssertTrue("\(error)".contains("modified by an inplace operation"), "\(error)")
        }
    }

    func testABodyThatReturnsAnotherCountWhenReRunIsAnError() {
        let setup = Setup()
        var runs = 0
        let outputs = checkpointed([setup.input()], parameters: [setup.weight]) { inputs -> [Tensor] in
            runs += 1
            let product = inputs[0].matmul(setup.weight)
            return runs == 1 ? [product] : [product, product]
        }
        XCTAssertThrowsError(try withTorchErrors { outputs[0].sum().backward() }) { error in
            XCTAssertTrue("\(error)".contains("checkpointed: the body returned 2 outputs"), "\(error)")
        }
    }

    func testAFailingOpInsideTheBodyIsThrownInsideWithTorchErrors() {
        let setup = Setup()
        XCTAssertThrowsError(
            try withTorchErrors {
                _ = checkpointed([setup.input()], parameters: [setup.weight]) { [$0[0].matmul($0[0])] }
            }
        ) { error in
            // The first failure, the op's own, is the one reported.
            XCTAssertEqual((error as? TorchError)?.operation, "matmul", "\(error)")
        }
    }

    func testTheBodyIsReleasedWithTheGraph() {
        final class Token {}
        weak var released: Token?
        do {
            let setup = Setup()
            let token = Token()
            released = token
            let outputs = checkpointed([setup.input()], parameters: [setup.weight]) { inputs in
                withExtendedLifetime(token) { [inputs[0].matmul(setup.weight)] }
            }
            outputs[0].sum().backward()
        }
        XCTAssertNil(released, "the body (and what it captures) outlived its graph")
    }
}
