import Foundation
import RunLogging
import XCTest

@testable import DDPO
@testable import Reports

final class RegularisationChartsTests: XCTestCase {
    private var parent: URL!

    override func setUpWithError() throws {
        parent = FileManager.default.temporaryDirectory.appendingPathComponent("report-kl-\(UUID())")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: parent)
    }

    func testRegularisedRunsGetAChartPerTermOthersDoNot() throws {
        let plain = try String(
            contentsOf: RunReport.write(runDirectory: SyntheticRun(in: parent).directory),
            encoding: .utf8)
        XCTAssertFalse(plain.contains("kl_penalty"))

        let run = try SyntheticRun(in: parent.appendingPathComponent("regularised"))
        // Later lines for the same epochs replace the earlier ones, as after a resume.
        let log = try MetricsLog(fileURL: run.directory.appendingPathComponent("metrics.jsonl"))
        for epoch in 0..<3 {
            var values = SyntheticRun.values(epoch: epoch)
            values["kl_penalty"] = 0.5 * Double(epoch)
            values["pretrain_loss"] = 0.2
            try log.record(values, step: 2 * (epoch + 1), epoch: epoch, time: 1_800_000_000 + Double(epoch))
        }
        try log.close()
        let html = try String(contentsOf: RunReport.write(runDirectory: run.directory), encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "<svg class=\"chart\"").count - 1, 8)
        XCTAssertTrue(html.contains("aria-label=\"kl_penalty (before weighting)\""))
        XCTAssertTrue(html.contains("aria-label=\"pretrain_loss (before weighting)\""))
    }
}
