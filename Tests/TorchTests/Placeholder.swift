import XCTest
import Torch

final class SmokeTests: XCTestCase {
    func testSmoke() throws {
        let a = Tensor([1.0, 2.0, 3.0] as [Float])
        let b = (a * 2 + 1).sum()
        XCTAssertEqual(b.item(), 15)
        let g = Generator(seed: 42)
        print(Tensor.randn([3], generator: g))
        XCTAssertThrowsError(try withTorchErrors { Tensor.zeros([2, 3]) + Tensor.zeros([4]) }) { print($0) }
        print(Runtime.version, Runtime.threadCount)
    }
}
