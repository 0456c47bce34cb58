import XCTest

@testable import DDPO

final class RewardStatisticsTests: XCTestCase {
    func testPopulationStandardDeviation() {
        // [1, 2, 3, 4]: mean 10/4 = 2.5; squared deviations 2.25, 0.25, 0.25, 2.25
        // sum to 5, over n = 4 (ddof 0, not n - 1 = 3): variance 1.25, std √1.25.
        let statistics = RewardStatistics(of: [1, 2, 3, 4])
        XCTAssertEqual(statistics.count, 4)
        XCTAssertEqual(statistics.mean, 2.5)
        XCTAssertEqual(statistics.std, 1.118033988749895, accuracy: 1e-15)
    }

    func testSingleValueHasZeroSpread() {
        XCTAssertEqual(RewardStatistics(of: [7]), RewardStatistics(count: 1, mean: 7, std: 0))
    }
}
