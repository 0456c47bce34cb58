import XCTest

@testable import Reports

final class ChartScaleAndSmoothingTests: XCTestCase {
    func testLogScaleWhenPositiveValuesSpanMoreThanTwoDecades() {
        XCTAssertTrue(ChartAxis.prefersLogScale([2e-2, 3e-4, 1e-5, .nan]))
        XCTAssertFalse(ChartAxis.prefersLogScale([0.02, 0.0003]), "under two decades")
        XCTAssertFalse(ChartAxis.prefersLogScale([-1, 1e-5, 1]), "a value below zero")
        XCTAssertTrue(ChartAxis.prefersLogScale([0, 1e-5, 1]), "a zero (a KL before training) is allowed")
        XCTAssertFalse(ChartAxis.prefersLogScale([0, 0, 1]), "one positive value spans nothing")

        let axis = ChartAxis(logCovering: [2e-2, 3e-5])
        XCTAssertTrue(axis.isLogarithmic)
        XCTAssertEqual(axis.lower, 1e-5, accuracy: 1e-20)
        XCTAssertEqual(axis.upper, 0.1, accuracy: 1e-15)
        XCTAssertEqual(axis.ticks.map(ChartAxis.label), ["1e-05", "0.0001", "0.001", "0.01", "0.1"])
        XCTAssertEqual(axis.position(1e-3, from: 0, to: 100), 50, accuracy: 1e-9)
        XCTAssertEqual(axis.position(-1, from: 0, to: 100), 0, "below the axis: its lower edge")
        // Many decades: a tick every few, still from edge to edge.
        XCTAssertLessThanOrEqual(ChartAxis(logCovering: [1e-12, 1]).ticks.count, 7)
    }

    func testApproxKLSpanningDecadesIsDrawnOnALogAxisAndSaysSo() {
        // approx_kl after a first-epoch spike: 1e-2, then about 1e-5.
        let values = [1e-2, 4e-5, 2e-5, 1.5e-5]
        let chart = LineChart(
            title: "approx_kl", points: values.enumerated().map { .init(x: Double($0), y: $1) }, yLabel: "KL")
        XCTAssertTrue(chart.isLogScale)
        let svg = chart.svg()
        XCTAssertTrue(svg.contains(">log scale</text>"))
        XCTAssertTrue(svg.contains(">1e-05</text>"))
        var withZero = LineChart(
            title: "KL", points: [0, 1e-3, 1].enumerated().map { .init(x: Double($0), y: $1) })
        XCTAssertTrue(withZero.svg().contains(">log scale, 0 drawn on the floor</text>"))
        withZero.logScale = false
        XCTAssertFalse(withZero.svg().contains("log scale"), "a chart can keep its linear scale")
        let linear = LineChart(
            title: "approx_kl", points: [.init(x: 0, y: 1), .init(x: 1, y: 2)])
        XCTAssertFalse(linear.isLogScale)
        XCTAssertFalse(linear.svg().contains("log scale"))
    }

    func testSmoothingIsTensorBoardsDebiasedMovingAverage() {
        let points = [1.0, 2, 3].enumerated().map { LineChart.Point(x: Double($0), y: $1) }
        let smoothed = LineChart.smoothed(points, weight: 0.6).map(\.y)
        XCTAssertEqual(smoothed[0], 1, accuracy: 1e-12, "debiased: the first value itself")
        XCTAssertEqual(smoothed[1], 1.04 / 0.64, accuracy: 1e-12)
        XCTAssertEqual(smoothed[2], 1.824 / 0.784, accuracy: 1e-12)
        // A non-finite value passes through; a constant series stays as it is.
        let gap = LineChart.smoothed(
            [.init(x: 0, y: 1), .init(x: 1, y: .nan), .init(x: 2, y: 3)], weight: 0.5)
        XCTAssertTrue(gap[1].y.isNaN)
        XCTAssertEqual(gap[2].y, (0.5 * 0.5 + 0.5 * 3) / 0.75, accuracy: 1e-12)
        XCTAssertEqual(LineChart.smoothed([.init(x: 0, y: 2), .init(x: 1, y: 2)], weight: 0.6).map(\.y), [2, 2])
    }

    func testLongSeriesAreSmoothedOverTheirLighterRawLineShortOnesAreNot() {
        let long = (0..<20).map { LineChart.Point(x: Double($0), y: sin(Double($0)) + Double($0) / 4) }
        let svg = LineChart(title: "reward", points: long).svg()
        XCTAssertTrue(svg.contains("<polyline class=\"smoothed\""))
        XCTAssertTrue(svg.contains("stroke-opacity=\"0.35\""), "the raw line, lighter")
        XCTAssertTrue(svg.contains("smoothed (EMA 0.6), raw values lighter"))
        XCTAssertTrue(
            svg.contains("<title>epoch 3: \(HTMLText.number(long[3].y))</title>"), "raw values in the tooltips")

        let short = LineChart(title: "reward", points: Array(long.prefix(10))).svg()
        XCTAssertFalse(short.contains("smoothed"))
        var off = LineChart(title: "reward", points: long)
        off.smoothingWeight = nil
        XCTAssertFalse(off.svg().contains("smoothed"))
    }
}
