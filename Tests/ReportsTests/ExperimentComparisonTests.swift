import Foundation
import RunLogging
import XCTest

@testable import DDPO
@testable import Reports

final class ExperimentComparisonTests: XCTestCase {
    /// A run of `algorithm` whose epochs have the given mean rewards, 8 samples per
    /// epoch, and a before/after evaluation.
    private func run(
        _ name: String, _ algorithm: TrainingAlgorithm, rewards: [Double],
        before: Double, after: Double
    ) -> RunFolder {
        var run = RunFolder(directory: URL(fileURLWithPath: "/runs/experiment/\(name)"))
        var configuration = TrainingConfiguration(runName: name, reward: .init(name: "jpeg_compressibility"))
        configuration.train.algorithm = algorithm
        configuration.sample.batchSize = 4
        configuration.sample.numBatchesPerEpoch = 2
        run.configuration = configuration
        run.epochs = rewards.enumerated().map {
            MetricsRecord(step: $0.offset, epoch: $0.offset, time: 0, values: ["reward_mean": $0.element])
        }
        func evaluation(_ epoch: Int, _ reward: Double) -> Evaluation {
            Evaluation(
                prompts: ["a"], rewards: [reward], seed: 0, epoch: epoch, grid: "g.png", columns: 1,
                tileWidth: 1, tileHeight: 1, padding: 0)
        }
        run.evaluations = [evaluation(0, before), evaluation(rewards.count, after)]
        return run
    }

    func testGroupsByAlgorithmAndAveragesOverSeedsAtEqualRewardQueries() throws {
        let comparison = ExperimentComparison(
            title: "t",
            runs: [
                run("is-0", .ddpoIS, rewards: [1, 2, 4], before: 1, after: 3),
                run("sf-0", .ddpoSF, rewards: [1, 1, 1], before: 1, after: 1),
                run("is-1", .ddpoIS, rewards: [3, 4, 6, 9], before: 2, after: 6)
            ])
        XCTAssertEqual(comparison.groups.map(\.name), ["ddpo_is", "ddpo_sf"], "first-seen order")
        XCTAssertEqual(comparison.reward, "jpeg_compressibility")
        let ddpoIS = comparison.groups[0]
        XCTAssertEqual(ddpoIS.runs, ["is-0", "is-1"])
        // The curve stops at the shorter run; x is images scored so far.
        XCTAssertEqual(ddpoIS.curve.rewardQueries, [8, 16, 24])
        XCTAssertEqual(ddpoIS.curve.rewardMean, [2, 3, 5])
        XCTAssertEqual(ddpoIS.curve.rewardStandardError[0], 1, accuracy: 1e-12, "sd √2 / √2")
        // Gains per run: 4 − 1 = 3 and 9 − 3 = 6; evaluation 2 and 4.
        XCTAssertEqual(ddpoIS.trainingGain.mean, 4.5, accuracy: 1e-12)
        XCTAssertEqual(ddpoIS.trainingGain.standardError ?? .nan, 1.5, accuracy: 1e-12)
        XCTAssertEqual(ddpoIS.evaluationGain?.mean ?? .nan, 3, accuracy: 1e-12)
        XCTAssertEqual(ddpoIS.evaluationBefore?.mean ?? .nan, 1.5, accuracy: 1e-12)
        let ddpoSF = comparison.groups[1]
        XCTAssertEqual(ddpoSF.trainingGain.mean, 0)
        XCTAssertNil(ddpoSF.trainingGain.standardError, "one run: no standard error")
        XCTAssertTrue(ddpoSF.curve.rewardStandardError.allSatisfy(\.isNaN))

        let table = comparison.markdown()
        XCTAssertTrue(
            table.contains("| ddpo_is | 2 | 2 ± 1 | 6.5 ± 2.5 | 4.5 ± 1.5 | 1.5 ± 0.5 | 4.5 ± 1.5 | 3 ± 1 |"),
            table)
        XCTAssertTrue(table.contains("| ddpo_sf | 1 | 1 | 1 | 0 | 1 | 1 | 0 |"), table)
        let svg = comparison.chartSVG()
        XCTAssertTrue(svg.contains("ddpo_is (2 runs)") && svg.contains("ddpo_sf (1 run)"), "a legend")
        XCTAssertTrue(svg.contains("<title>queries 24: 5 ± 1</title>"), svg)
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2, "one line per algorithm")
    }

    func testMissingValuesStayMissing() {
        var empty = run("rwr-0", .rwr, rewards: [], before: .nan, after: .nan)
        empty.evaluations = []
        let comparison = ExperimentComparison(title: "t", runs: [empty])
        XCTAssertEqual(comparison.groups[0].curve.rewardQueries, [])
        XCTAssertTrue(comparison.groups[0].trainingGain.mean.isNaN)
        XCTAssertNil(comparison.groups[0].evaluationGain)
        XCTAssertTrue(
            comparison.markdown().contains("| rwr | 1 | NaN | NaN | NaN | – | – | – |"), comparison.markdown())
        XCTAssertTrue(comparison.chartSVG().contains("no data yet"))
    }

    func testWritesTheThreeFilesAndTheJSONReadsBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("comparison-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let comparison = ExperimentComparison(
            title: "Experiment <x>",
            runs: [
                run("is-0", .ddpoIS, rewards: [1, 2], before: 1, after: 2)
            ])
        try comparison.write(to: directory)
        let html = try String(contentsOf: directory.appendingPathComponent("comparison.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<h1>Experiment &lt;x&gt;</h1>"))
        XCTAssertTrue(html.contains("<svg"))
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let json = try Data(contentsOf: directory.appendingPathComponent("comparison.json"))
        XCTAssertEqual(try decoder.decode(ExperimentComparison.self, from: json).groups.map(\.name), ["ddpo_is"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("comparison.md").path))
        let svg = try String(contentsOf: directory.appendingPathComponent("comparison.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml") && svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""), svg)
    }
}
