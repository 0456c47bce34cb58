import Pretraining
import Torch
import XCTest

final class ExponentialMovingAverageTests: XCTestCase {
    func testAverageWarmsUpThenFollowsTheDecay() {
        let weight = Tensor([Float(0)], shape: [1])
        let ema = ExponentialMovingAverage(parameters: [("w", weight)], decay: 0.5)
        weight.copy(from: Tensor([Float(10)], shape: [1]))
        ema.update()  // warm-up decay min(0.5, 1/10) = 0.1: 0·0.1 + 10·0.9
        XCTAssertEqual(ema.shadow["w"]!.item(), 9, accuracy: 1e-5)
        ema.update()  // min(0.5, 2/11): 9·(2/11) + 10·(9/11)
        let expected: Double = (9.0 * 2.0 + 10.0 * 9.0) / 11.0
        XCTAssertEqual(ema.shadow["w"]!.item(), expected, accuracy: 1e-5)
        for _ in 0..<10 { ema.update() }  // decay now capped at 0.5
        XCTAssertEqual(ema.shadow["w"]!.item(), 10, accuracy: 1e-2)
    }
}
