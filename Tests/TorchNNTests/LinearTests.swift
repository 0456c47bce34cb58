import Torch
import TorchNN
import XCTest

final class LinearTests: XCTestCase {
    func testInitialisationStaysWithinOneOverSquareRootOfFanIn() {
        let layer = Linear(50, 30, generator: Generator(seed: 0))
        XCTAssertEqual(layer.weight.shape, [30, 50])
        XCTAssertEqual(layer.bias!.shape, [30])
        let bound = 1 / 50.0.squareRoot()
        for tensor in [layer.weight, layer.bias!] {
            let largest = tensor.abs().max().item()
            XCTAssertLessThanOrEqual(largest, bound)
            XCTAssertGreaterThan(largest, bound * 0.9, "values should fill the range")
        }
        XCTAssertTrue(layer.weight.requiresGrad)
        XCTAssertNil(Linear(4, 2, bias: false).bias)
    }

    func testWeightThenBiasAreDrawnUniformlyFromTheGenerator() {
        let layer = Linear(5, 3, generator: Generator(seed: 11))
        let generator = Generator(seed: 11)
        let bound = 1 / 5.0.squareRoot()
        let weight = Tensor.rand([3, 5], generator: generator) * (2 * bound) - bound
        let bias = Tensor.rand([3], generator: generator) * (2 * bound) - bound
        assertClose(layer.weight, weight, tolerance: 1e-6)
        assertClose(layer.bias!, bias, tolerance: 1e-6)
    }

    func testOutputEqualsFunctionalLinear() {
        let layer = Linear(6, 4)
        let x = Tensor.randn([2, 3, 6])
        let y = layer(x)
        XCTAssertEqual(y.shape, [2, 3, 4])
        assertClose(y, linear(x, weight: layer.weight, bias: layer.bias), tolerance: 0)
        assertClose(y, x.matmul(layer.weight.transposed(0, 1)) + layer.bias!, tolerance: 1e-6)
    }

    func testWrapsExistingTensors() {
        let weight = Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
        let layer = Linear(weight: weight, bias: Tensor([10, 20] as [Float]))
        XCTAssertEqual(layer.inFeatures, 3)
        XCTAssertEqual(layer.outFeatures, 2)
        XCTAssertEqual(layer(Tensor([1, 1, 1] as [Float])).toArray(Float.self), [16, 35])
    }
}
