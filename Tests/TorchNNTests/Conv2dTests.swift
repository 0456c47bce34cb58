import Torch
import TorchNN
import XCTest

final class Conv2dTests: XCTestCase {
    func testInitialisationStaysWithinOneOverSquareRootOfFanIn() {
        let layer = Conv2d(8, 6, kernelSize: 3, groups: 2, generator: Generator(seed: 1))
        XCTAssertEqual(layer.weight.shape, [6, 4, 3, 3])
        let bound = 1 / Double(4 * 3 * 3).squareRoot()
        for tensor in [layer.weight, layer.bias!] {
            let largest = tensor.abs().max().item()
            XCTAssertLessThanOrEqual(largest, bound)
            XCTAssertGreaterThan(largest, bound * 0.8)
        }
    }

    func testOutputEqualsFunctionalConv2d() {
        let layer = Conv2d(4, 6, kernelSize: 3, stride: 2, padding: 1, groups: 2)
        let x = Tensor.randn([2, 4, 9, 9])
        let y = layer(x)
        XCTAssertEqual(y.shape, [2, 6, 5, 5])
        assertClose(
            y, conv2d(x, weight: layer.weight, bias: layer.bias, stride: 2, padding: 1, groups: 2),
            tolerance: 0)
        XCTAssertNil(Conv2d(3, 3, kernelSize: 1, bias: false).bias)
    }
}
