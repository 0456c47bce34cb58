import Torch
import TorchNN
import XCTest

/// Default initial values equal PyTorch's bit for bit when the generator starts
/// from the same seed. Expected values: scripts/golden/torchnn_init.py (torch 2.15).
final class InitializationParityTests: XCTestCase {
    func testLinearMatchesPyTorch() {
        let layer = Linear(5, 3, generator: Generator(seed: 11))
        XCTAssertEqual(
            layer.weight.toArray(Float.self),
            [
                -0.31390663981437683, -0.012027244083583355, 0.4343888461589813, -0.29659077525138855,
                0.07508128136396408, 0.1731603592634201, 0.07431337982416153, -0.33233538269996643,
                0.06450844556093216, 0.3799879252910614, -0.20631057024002075, 0.25263711810112,
                -0.20402993261814117, -0.03288647532463074, 0.23892909288406372
            ])
        XCTAssertEqual(
            layer.bias!.toArray(Float.self),
            [0.002169852377846837, -0.35553228855133057, 0.2325485497713089])
    }

    func testConv2dMatchesPyTorch() {
        let layer = Conv2d(4, 6, kernelSize: 3, groups: 2, generator: Generator(seed: 2))
        XCTAssertEqual(
            Array(layer.weight.toArray(Float.self).prefix(5)),
            [
                0.05406777560710907, -0.056091077625751495, 0.06463631987571716, -0.012039163149893284,
                0.1006891056895256
            ])
        XCTAssertEqual(
            layer.bias!.toArray(Float.self),
            [
                -0.23267945647239685, 0.03560402989387512, 0.21864011883735657, -0.1708173304796219,
                -0.1049475371837616, -0.012412499636411667
            ])
    }

    func testEmbeddingMatchesPyTorch() {
        let table = Embedding(count: 10, dimension: 3, generator: Generator(seed: 0))
        XCTAssertEqual(
            Array(table.weight.toArray(Float.self).prefix(5)),
            [
                -1.1258398294448853, -1.152360200881958, -0.2505785822868347, -0.4338788092136383,
                0.8487103581428528
            ])
    }
}
