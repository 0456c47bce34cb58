import RunLogging
import XCTest

@testable import DDPO

final class EvaluationScalarsTests: XCTestCase {
    private func evaluation(rewards: [Double], info: [String: Double]?) -> Evaluation {
        var evaluation = Evaluation(
            prompts: rewards.map { _ in "p" }, rewards: rewards, seed: 1, epoch: 3, grid: "epoch-000003.png",
            columns: 2, tileWidth: 4, tileHeight: 4, padding: 2)
        evaluation.infoMeans = info
        return evaluation
    }

    func testMeanStdAndEachExtraUnderEval() {
        let scalars = evaluation(rewards: [1, 3, .nan], info: ["match_all": 0.5]).scalars(task: nil)
        XCTAssertEqual(scalars.keys.sorted(), ["eval/match_all", "eval/reward_mean", "eval/reward_std"])
        XCTAssertEqual(scalars["eval/reward_mean"], 2, "over the finite rewards")
        XCTAssertEqual(scalars["eval/reward_std"], 1, "population standard deviation")
        XCTAssertEqual(scalars["eval/match_all"], 0.5)
    }

    func testATaskSuffixesEveryName() {
        let scalars = evaluation(rewards: [1], info: nil).scalars(task: "shapes")
        XCTAssertEqual(scalars.keys.sorted(), ["eval/reward_mean/shapes", "eval/reward_std/shapes"])
    }
}
