import Torch
import TorchNN
import XCTest

final class TrainingTests: XCTestCase {
    final class MLP: Module {
        @Child var hidden: Linear
        @Child var output: Linear

        init(width: Int, generator: Generator) {
            super.init()
            hidden = Linear(1, width, generator: generator)
            output = Linear(width, 1, generator: generator)
        }

        func callAsFunction(_ x: Tensor) -> Tensor { output(hidden(x).tanh()) }
    }

    func testTwoLayerMLPFitsSineWithAdamW() {
        let x = Tensor.linspace(-Double.pi, Double.pi, count: 64).reshaped([64, 1])
        let y = x.sin()
        let model = MLP(width: 32, generator: Generator(seed: 0))
        let optimizer = AdamW(
            parameters: model.trainableParameters(),
            configuration: .init(learningRate: 0.01, weightDecay: 0))
        func loss() -> Tensor { (model(x) - y).square().mean() }

        let initialLoss = withNoGrad { loss().item() }
        for _ in 0..<500 {
            optimizer.zeroGrad()
            loss().backward()
            optimizer.update()
        }
        let finalLoss = withNoGrad { loss().item() }
        print("MLP on sin(x): MSE \(initialLoss) → \(finalLoss) after 500 AdamW steps")
        XCTAssertLessThan(finalLoss, 0.01, "initial loss \(initialLoss)")
        XCTAssertLessThan(finalLoss, initialLoss / 10)
    }
}
