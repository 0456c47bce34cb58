import Foundation
import ImageCodecs
import RunLogging
import XCTest

@testable import DDPO
@testable import Reports

final class RunReportTests: XCTestCase {
    private var parent: URL!

    override func setUpWithError() throws {
        parent = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID())")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: parent)
    }

    private func report(_ run: SyntheticRun) throws -> String {
        let url = try RunReport.write(runDirectory: run.directory)
        XCTAssertEqual(url, run.directory.appendingPathComponent("report.html"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The base64 payloads of every `src="data:image/png;base64,…"`, in document order.
    private func embeddedPNGs(_ html: String) throws -> [RGBImage] {
        let marker = "src=\"data:image/png;base64,"
        return try html.components(separatedBy: marker).dropFirst().map { chunk in
            let base64 = String(chunk.prefix { $0 != "\"" })
            let data = try XCTUnwrap(Data(base64Encoded: base64), "not base64")
            return try RGBImage(pngData: Array(data))
        }
    }

    func testSummaryHasTheRunsNumbers() throws {
        let html = try report(SyntheticRun(in: parent))
        XCTAssertTrue(html.contains("DDPO run <code>synthetic</code>"))
        XCTAssertTrue(html.contains("<tr><th>Epochs</th><td>3 of 3</td></tr>"), "epochs")
        XCTAssertTrue(html.contains("<td>8 (4 × 2 batches)</td>"), "samples per epoch")
        XCTAssertTrue(html.contains("<td>ddpo_is, LoRA rank 4</td>"), "algorithm")
        XCTAssertTrue(html.contains("<td>jpeg_compressibility</td>"), "reward")
        XCTAssertTrue(html.contains("<td>/models/tiny-sd1</td>"), "model")
        // The resumed epoch's later line (-1.5) is used, not the stale 99.
        XCTAssertTrue(html.contains("-2 → -1.25 (+0.75)"), "reward trend")
        XCTAssertTrue(html.contains("<title>epoch 1: -1.5 ± 0.5</title>"), "the chart uses the later line too")
        XCTAssertTrue(html.contains("<td>0.25 → 0.75</td>"), "evaluation means")
        XCTAssertTrue(html.contains("<b>+0.5</b>"), "evaluation gain")
        // Phases: sampling 2 s, reward wait 0.5 s, training 3, 4, 5 s → mean 4 s; 19.5 s in all.
        XCTAssertTrue(html.contains("<td>sampling</td><td class=\"num\">2.00</td><td class=\"num\">31 %</td>"))
        XCTAssertTrue(html.contains("<td>reward wait</td><td class=\"num\">0.50</td>"))
        XCTAssertTrue(html.contains("<td>training</td><td class=\"num\">4.00</td>"))
        XCTAssertTrue(html.contains("<b>6.50</b>"), "seconds per epoch")
        XCTAssertTrue(html.contains("19.5 s (sampling"), "total time")
        XCTAssertTrue(html.contains("finished, 3 of 3 epochs"))
    }

    func testChartsAreInlineSVGAndNaNIsShownNotDrawn() throws {
        let html = try report(SyntheticRun(in: parent))
        // Reward, approx_kl, clipfrac, loss, grad_norm and the seconds per epoch.
        XCTAssertEqual(html.components(separatedBy: "<svg class=\"chart\"").count - 1, 6)
        for title in ["reward mean ± std", "approx_kl", "clipfrac", "loss"] {
            XCTAssertTrue(html.contains("aria-label=\"\(title)\""), title)
        }
        XCTAssertTrue(html.contains("<polygon"), "the reward's ± std band")
        XCTAssertTrue(html.contains("1 non-finite value not drawn"), "approx_kl of epoch 1 is NaN")
    }

    func testBothEvaluationGridsAreEmbeddedTileByTileWithCaptions() throws {
        let html = try report(SyntheticRun(in: parent))
        let images = try embeddedPNGs(html)
        let count = SyntheticRun.prompts.count
        XCTAssertEqual(images.count, 2 * count, "every tile of both grids")
        for index in 0..<count {
            XCTAssertEqual(images[index], SyntheticRun.tile(index, epoch: 0), "before, tile \(index)")
            XCTAssertEqual(images[count + index], SyntheticRun.tile(index, epoch: 3), "after, tile \(index)")
        }
        XCTAssertTrue(html.contains("image-rendering: pixelated"))
        XCTAssertTrue(html.contains("<span class=\"prompt\">two cats</span><span class=\"reward\">0.3</span>"))
        XCTAssertTrue(
            html.contains(
                "<span class=\"prompt\">two cats</span><span class=\"reward\">0.8 "
                    + "<span class=\"up\">(+0.5)</span></span>"))
        // A prompt is text, never markup.
        XCTAssertTrue(html.contains("a &lt;b&gt;bold&lt;/b&gt; prompt"))
        XCTAssertFalse(html.contains("<b>bold</b>"))
    }

    func testReportIsSelfContainedAndEscapesTheConfiguration() throws {
        let html = try report(SyntheticRun(in: parent))
        XCTAssertFalse(html.contains("http://"))
        XCTAssertFalse(html.contains("https://"))
        XCTAssertFalse(html.lowercased().contains("<script"), "no script, and the config's <script> is escaped")
        XCTAssertFalse(html.contains("<link"))
        XCTAssertFalse(html.contains("url("))
        XCTAssertFalse(html.contains("@import"))
        // Every src is embedded data.
        for chunk in html.components(separatedBy: "src=\"").dropFirst() {
            XCTAssertTrue(chunk.hasPrefix("data:image/png;base64,"), String(chunk.prefix(40)))
        }
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;"))
        XCTAssertTrue(html.contains("run_name: synthetic"), "config.yaml verbatim")
    }

    func testEmptyRunFolderStillRenders() throws {
        let empty = parent.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let html = try String(contentsOf: RunReport.write(runDirectory: empty), encoding: .utf8)
        XCTAssertTrue(html.contains("DDPO run <code>empty</code>"))
        XCTAssertTrue(html.contains("no epoch finished yet"))
        XCTAssertTrue(html.contains("No config.yaml"))
        XCTAssertTrue(html.contains("no data yet"))
        XCTAssertTrue(html.contains("No evaluation of the base model"))
        XCTAssertTrue(html.hasSuffix("</html>\n"))
    }

    func testRunInProgressShowsWhatIsMissing() throws {
        // config.yaml plans 3 epochs; 1 done, only the base model evaluated.
        let run = try SyntheticRun(in: parent, epochs: 1)
        try FileManager.default.removeItem(at: run.directory.appendingPathComponent("evaluations/epoch-000001.json"))
        let html = try report(run)
        XCTAssertTrue(html.contains("in progress or stopped, 1 of 3 epochs"))
        XCTAssertTrue(html.contains("Not yet: the run evaluates again after its last epoch."))
        XCTAssertTrue(html.contains("<td>0.25 → not yet</td>"))
        XCTAssertTrue(html.contains("needs both evaluations"))
        XCTAssertEqual(try embeddedPNGs(html).count, SyntheticRun.prompts.count)
    }

    func testBrokenPiecesAreReportedNotFatal() throws {
        let run = try SyntheticRun(in: parent)
        let evaluations = run.directory.appendingPathComponent("evaluations")
        try FileManager.default.removeItem(at: evaluations.appendingPathComponent("epoch-000003.png"))
        try "model: [unclosed".write(
            to: run.directory.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let metrics = run.directory.appendingPathComponent("metrics.jsonl")
        try (String(contentsOf: metrics, encoding: .utf8) + "not json\n{}\n").write(
            to: metrics, atomically: true, encoding: .utf8)
        let html = try report(run)
        XCTAssertTrue(html.contains("config.yaml could not be read"))
        XCTAssertTrue(html.contains("metrics.jsonl could not be read"))
        XCTAssertTrue(html.contains("The grid epoch-000003.png could not be shown"))
        XCTAssertTrue(html.contains("<pre>model: [unclosed</pre>"), "the unreadable config is still shown")
        XCTAssertEqual(try embeddedPNGs(html).count, SyntheticRun.prompts.count, "the before grid still shows")
    }

    func testMissingRunFolderIsAnErrorNamingIt() {
        let missing = parent.appendingPathComponent("no-such-run")
        XCTAssertThrowsError(try RunReport.write(runDirectory: missing)) { error in
            XCTAssertEqual(error as? RunReportError, .noRunFolder(path: missing.path))
            XCTAssertTrue("\(error)".contains(missing.path))
        }
    }
}
