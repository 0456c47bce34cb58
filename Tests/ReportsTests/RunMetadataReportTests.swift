import Foundation
import RunLogging
import XCTest

@testable import DDPO
@testable import Reports

/// What the report takes from run.json (units, the machine, the wall time) and the
/// summary rows built from the configuration and the monitors.
final class RunMetadataReportTests: XCTestCase {
    private var parent: URL!

    override func setUpWithError() throws {
        parent = FileManager.default.temporaryDirectory.appendingPathComponent("report-meta-\(UUID())")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: parent)
    }

    private func start(_ seconds: Double, epoch: Int) -> RunStart {
        var start = RunStart(time: Date(timeIntervalSince1970: seconds))
        start.epoch = epoch
        start.version = "0.2.0"
        start.gitCommit = "0123456789abcdef0123456789abcdef01234567"
        start.gitDirty = true
        start.host = "demo-host"
        start.cores = 2
        start.libtorch = "2.11.0"
        start.threads = 1
        start.workers = 2
        start.device = "cpu"
        start.dtype = "float32"
        start.mixedPrecision = "no"
        start.worldSize = 1
        start.seed = 7
        start.rewards = [
            .init(role: "reward", name: "jpeg_compressibility", unit: "kB", axisLabel: "reward (−JPEG kB)"),
            .init(
                role: "monitor.fidelity", name: "shapes_alignment", unit: "probability",
                axisLabel: "reward (probability all four attributes right, 0–1)"),
            .init(role: "monitor.diversity", name: "diversity", unit: "cosine distance", axisLabel: "x")
        ]
        return start
    }

    /// The synthetic run (records at 1_700_000_000 + epoch), started at `starts`, its
    /// evaluation files dated 1_700_000_005.
    private func run(starts: [Double]) throws -> SyntheticRun {
        let run = try SyntheticRun(in: parent)
        for (index, time) in starts.enumerated() {
            try RunStartLog.append(start(time, epoch: index), directory: run.directory)
        }
        let evaluations = run.directory.appendingPathComponent("evaluations")
        for name in try FileManager.default.contentsOfDirectory(atPath: evaluations.path) {
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSince1970: 1_700_000_005)],
                ofItemAtPath: evaluations.appendingPathComponent(name).path)
        }
        return run
    }

    private func report(_ run: SyntheticRun) throws -> String {
        RunReport.html(for: try RunFolder.read(run.directory))
    }

    func testRewardUnitFromRunJSONLabelsTheSummaryAndTheAxes() throws {
        let html = try report(run(starts: [1_699_999_990]))
        XCTAssertTrue(
            html.contains("<td>jpeg_compressibility, in kB: charted as reward (−JPEG kB)</td>"), "reward row")
        XCTAssertTrue(
            html.contains(
                "rotate(-90)\" font-size=\"12\" text-anchor=\"middle\" fill=\"#334155\">reward (−JPEG kB)</text>"))
        for label in [
            "approx. KL (nats)", "fraction of ratios clipped", "loss (objective)", "gradient L2 norm", "seconds"
        ] {
            XCTAssertTrue(html.contains(">\(label)</text>"), label)
        }
        // Every chart says what its x axis is.
        let charts = html.components(separatedBy: "<svg class=\"chart\"").count - 1
        XCTAssertEqual(html.components(separatedBy: "class=\"x-label\"").count - 1, charts)
        XCTAssertEqual(html.components(separatedBy: "class=\"y-label\"").count - 1, charts)
        XCTAssertTrue(html.contains(">epoch (from 0, as in metrics.jsonl)</text>"))
    }

    func testWithoutRunJSONTheRewardAxisSaysRewardAndTheWallTimeIsUnknown() throws {
        let html = try report(SyntheticRun(in: parent))
        XCTAssertTrue(html.contains("fill=\"#334155\">reward</text>"))
        XCTAssertTrue(html.contains("<td>unknown: no run.json"))
        XCTAssertTrue(html.contains("No run.json"))
    }

    func testSeedIsTheConfiguredOneAndTheEvaluationSaysItsDrawComesFromIt() throws {
        let html = try report(run(starts: [1_699_999_990]))
        XCTAssertTrue(html.contains("<tr><th>Seed</th><td>7 (config.yaml seed"), "seed row")
        let derived = Trainer.evaluationSeed(runSeed: 7, task: 0)
        XCTAssertTrue(html.contains("seed 7 (evaluation draw)"))
        XCTAssertTrue(html.contains("title=\"noise seed \(derived), derived from the run seed\""))
        XCTAssertFalse(html.contains("prompts, seed \(derived)"), "the derived number is not the headline")
        // An evaluation drawn from another seed shows its own number.
        var other = SyntheticRun.evaluation(epoch: 0, rewards: SyntheticRun.beforeRewards)
        other.seed = 99
        XCTAssertEqual(EvaluationPanel.seedText(other, runSeed: 7, taskIndex: 0), "noise seed 99")
        XCTAssertEqual(
            Trainer.evaluationSeed(runSeed: 7, task: 0),
            RunSeeds.seed(7, epoch: Trainer.evaluationEpoch, purpose: .sampling))
    }

    func testTotalTimeIsTheWallClockOfEachStartToItsLastRecord() throws {
        // One start 10 s before the first record; the last record is the evaluation at +5 s.
        let one = try report(run(starts: [1_699_999_990]))
        XCTAssertTrue(one.contains("<td>15.0 s wall clock (model loading, sampling, training, evaluations"), one)
        XCTAssertTrue(one.contains("<tr><th>Time in epochs</th><td>19.5 s (sampling"), "the phases, summed")
        try FileManager.default.removeItem(at: parent.appendingPathComponent("synthetic"))
        // A resume at +1.5 s: 11 s up to the record at +1, then 3.5 s to the evaluation at +5.
        let resumed = try report(run(starts: [1_699_999_990, 1_700_000_001.5]))
        XCTAssertTrue(resumed.contains("<td>14.5 s wall clock"), resumed)
        XCTAssertTrue(resumed.contains("2 starts, the time between a stop and the resume left out"))
    }

    func testRunSectionListsEachStart() throws {
        let html = try report(run(starts: [1_699_999_990, 1_700_000_001.5]))
        XCTAssertTrue(html.contains("<h2>Run <span class=\"muted\">each start and resume, from run.json</span></h2>"))
        let row =
            "<td>0123456789ab (modified)</td><td>demo-host</td><td>2</td><td>2.11.0</td><td>1 × 2</td>"
            + "<td>cpu</td><td>float32</td><td>1</td></tr>"
        XCTAssertEqual(html.components(separatedBy: row).count - 1, 2, "one row per start")
        XCTAssertTrue(html.contains("<td>1</td><td>0.2.0</td>"), "the resume's epoch and version")
    }

    func testLongRunsGetATimeChartThatShowsASlowEpoch() throws {
        let html = try report(run(starts: [1_699_999_990]))
        XCTAssertTrue(html.contains("aria-label=\"seconds per epoch, by phase\""))
        // Epoch 2: sampling 2 + reward wait 0.5 + training 5.
        XCTAssertTrue(html.contains("<title>epoch 2: 7.5</title>"))
        XCTAssertTrue(html.contains("<title>epoch 2: 5</title>"))
    }

    func testFidelityAndDiversityOfTheMonitorsInTheSummaryAndTheirCharts() throws {
        let run = try run(starts: [1_699_999_990])
        let log = try MetricsLog(fileURL: run.directory.appendingPathComponent("metrics.jsonl"))
        for (index, epoch) in [0, 3].enumerated() {
            try log.record(
                [
                    MonitorReading.heldOutRewardName: -2, MonitorReading.diversityName: 0.3 - 0.1 * Double(index),
                    MonitorReading.klToBaseName: Double(index), MonitorReading.fidelityName: 0.6 - 0.15 * Double(index),
                    MonitorReading.fidelityName + "_match_all": 0.5 + 0.25 * Double(index),
                    MonitorReading.fidelityName + "_p_shape": 0.9, MonitorReading.fidelityName + "_p_count": 0.7
                ], step: 0, epoch: epoch, time: 1_700_000_003)
        }
        try log.close()
        let html = try report(run)
        XCTAssertTrue(
            html.contains(
                "<tr><th>Held-out fidelity (shapes_alignment), before → after</th><td>0.6 → 0.45 (-0.15;"
                    + " monitor checks at epochs 0 and 3)</td></tr>"), html)
        XCTAssertTrue(
            html.contains(
                "<tr><th>Held-out fidelity extras, before → after</th><td>match_all 0.5 → 0.75; p_count 0.7 → 0.7; p_shape 0.9 → 0.9</td></tr>"
            ),
            "the extras in one row")
        XCTAssertTrue(html.contains("<tr><th>Diversity, before → after</th><td>0.3 → 0.2 (-0.1;"))
        XCTAssertTrue(html.contains("aria-label=\"held-out fidelity (mean): shapes_alignment\""))
        XCTAssertTrue(html.contains("aria-label=\"held-out fidelity: match_all\""), "an extra alone in its family")
        XCTAssertTrue(html.contains("aria-label=\"held-out fidelity: p_*\""), "one chart for p_count and p_shape")
        XCTAssertFalse(html.contains("aria-label=\"held-out fidelity: p_shape\""))
        XCTAssertTrue(html.contains(">fidelity (probability)</text>"))
        XCTAssertTrue(html.contains(">diversity (cosine distance)</text>"))
    }

    func testMonitorKeysSplitIntoValueAndTask() {
        XCTAssertTrue(
            MonitorSection.splitTask("monitor/fidelity_match_all/shapes") == ("monitor/fidelity_match_all", "shapes"))
        XCTAssertTrue(MonitorSection.splitTask("monitor/fidelity") == ("monitor/fidelity", nil))
    }
}
