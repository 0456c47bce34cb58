import RunLogging
import XCTest

@testable import DDPO
@testable import Reports

final class LineChartTests: XCTestCase {
    func testAxisCoversTheDataWithRoundTicks() {
        let axis = ChartAxis(covering: [0.013, 0.087])
        // A range of 0.074 in about 5 ticks: steps of 0.02, from 0 to 0.1.
        XCTAssertEqual(axis.lower, 0)
        XCTAssertEqual(axis.upper, 0.1, accuracy: 1e-12)
        XCTAssertEqual(axis.ticks.map(ChartAxis.label), ["0", "0.02", "0.04", "0.06", "0.08", "0.1"])
        XCTAssertEqual(axis.position(0.05, from: 100, to: 0), 50, accuracy: 1e-9)
    }

    func testConstantAndEmptyDataGetARange() {
        let zero = ChartAxis(covering: [0, 0, .nan])
        XCTAssertEqual(zero.lower, 0)
        XCTAssertEqual(zero.upper, 1)
        let constant = ChartAxis(covering: [-0.5, -0.5])
        XCTAssertLessThan(constant.lower, -0.5)
        XCTAssertGreaterThan(constant.upper, -0.5)
        let empty = ChartAxis(covering: [])
        XCTAssertLessThan(empty.lower, empty.upper)
        let epochs = ChartAxis(covering: [3], integers: true)
        XCTAssertTrue(epochs.ticks.allSatisfy { $0 == $0.rounded() })
        XCTAssertTrue(epochs.ticks.contains(3))
    }

    func testNonFiniteValuesBreakTheLine() {
        let chart = LineChart(
            title: "kl",
            points: [
                .init(x: 0, y: 1), .init(x: 1, y: 2), .init(x: 2, y: .nan), .init(x: 3, y: 3), .init(x: 4, y: .infinity)
            ])
        XCTAssertEqual(chart.segments.map { $0.map(\.x) }, [[0, 1], [3]])
        XCTAssertEqual(chart.nonFiniteCount, 2)
        let svg = chart.svg()
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2)
        XCTAssertTrue(svg.contains("2 non-finite values not drawn"))
        XCTAssertFalse(svg.contains("nan"), "no NaN coordinates in the SVG")
        XCTAssertTrue(svg.contains("<title>epoch 2: NaN</title>"), "a marker where the value is NaN")
        XCTAssertTrue(svg.contains("<title>epoch 4: +∞</title>"))
    }

    func testEmptyAndAllNaNChartsSaySo() {
        XCTAssertTrue(LineChart(title: "loss", points: []).svg().contains("no data yet"))
        XCTAssertTrue(LineChart(title: "loss", points: [.init(x: 0, y: .nan)]).svg().contains("no finite values"))
    }

    func testBandAroundTheMean() {
        let svg = LineChart(title: "reward", points: [.init(x: 0, y: 1, spread: 0.5), .init(x: 1, y: 2, spread: 0.5)])
            .svg()
        XCTAssertTrue(svg.contains("<polygon"))
        XCTAssertTrue(svg.contains("<title>epoch 1: 2 ± 0.5</title>"))
    }

    func testHTMLTextEscapesAndFormats() {
        XCTAssertEqual(
            HTMLText.escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        XCTAssertEqual(HTMLText.number(.nan), "NaN")
        XCTAssertEqual(HTMLText.number(-0.87637), "-0.8764")
        XCTAssertEqual(HTMLText.number(1250), "1250")
        XCTAssertEqual(HTMLText.number(2.5e-11), "2.5e-11")
        XCTAssertEqual(HTMLText.number(-0.00025), "-0.00025")
        XCTAssertEqual(HTMLText.signed(0.5), "+0.5")
        XCTAssertEqual(HTMLText.duration(125), "2 min 05 s")
    }
}
