import DDPO
import Foundation
import RunLogging

/// A line chart of one metric per epoch as inline SVG (no script, no external
/// file): a line through the finite values, an optional shaded band of ± a spread
/// (the reward's standard deviation), grid lines and axes labelled with what they
/// measure ("reward (−JPEG kB)" against "epoch").
///
/// Non-finite values are not drawn: the line breaks there, and the subtitle counts
/// them, so a diverged epoch is visible rather than silently bridged.
///
/// Two things adapt to the data, and the chart says so in its top-right corner:
/// positive values spanning more than two decades get a log scale
/// (`ChartAxis.prefersLogScale`; zeros then sit on the axis's floor), and a series of more than `smoothingMinimumPoints`
/// points gets an exponential moving average drawn over it (TensorBoard's debiased
/// EMA, weight `smoothingWeight`), the raw line staying visible, lighter, with the
/// raw values in the points' tooltips.
struct LineChart {
    struct Point: Equatable {
        var x: Double
        var y: Double
        /// Half-height of the band around `y`; nil draws no band at this point.
        var spread: Double?
    }

    /// One line of the chart; with several, a legend names them.
    struct Series {
        var name: String
        var points: [Point]
        var color: String
    }

    var title: String
    var series: [Series]
    /// metrics.jsonl counts epochs from 0; an evaluation's epoch counts epochs done.
    var xLabel = "epoch (from 0, as in metrics.jsonl)"
    /// What a point's x is called in its tooltip.
    var xName = "epoch"
    /// The quantity on the y axis with its unit, e.g. "reward (−JPEG kB)"; nil: none drawn.
    var yLabel: String?
    /// The EMA weight of the smoothed line (TensorBoard's default slider is 0.6); nil: never smoothed.
    var smoothingWeight: Double? = 0.6
    /// Series with fewer finite points are drawn raw: a short curve is readable as it is.
    var smoothingMinimumPoints = 11
    /// nil: chosen from the data (`ChartAxis.prefersLogScale`).
    var logScale: Bool?
    var width = 560.0
    var height = 240.0

    private let left = 72.0, right = 16.0, top = 36.0, bottom = 40.0

    /// One series (the run report's charts).
    init(title: String, points: [Point], color: String = "#2563eb", yLabel: String? = nil) {
        self.title = title
        series = [Series(name: title, points: points, color: color)]
        self.yLabel = yLabel
    }

    init(title: String, series: [Series], xLabel: String, xName: String, yLabel: String? = nil) {
        self.title = title
        self.series = series
        self.xLabel = xLabel
        self.xName = xName
        self.yLabel = yLabel
    }

    /// The first series' points.
    var points: [Point] { series.first?.points ?? [] }

    /// Consecutive runs of finite points of the first series: the pieces its line is drawn in.
    var segments: [[Point]] { Self.segments(of: points) }

    static func segments(of points: [Point]) -> [[Point]] {
        var result: [[Point]] = []
        var current: [Point] = []
        for point in points.sorted(by: { $0.x < $1.x }) {
            if point.x.isFinite && point.y.isFinite {
                current.append(point)
            } else if !current.isEmpty {
                result.append(current)
                current = []
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    var nonFiniteCount: Int { series.flatMap(\.points).filter { !$0.y.isFinite }.count }

    /// Whether the y axis is logarithmic: as set, or chosen from the drawn values.
    var isLogScale: Bool {
        logScale ?? ChartAxis.prefersLogScale(series.flatMap { Self.segments(of: $0.points).flatMap { $0 } }.map(\.y))
    }

    /// Whether `line` is drawn with a smoothed line over its raw one.
    func isSmoothed(_ line: Series) -> Bool {
        guard smoothingWeight != nil else { return false }
        return line.points.filter { $0.x.isFinite && $0.y.isFinite }.count >= smoothingMinimumPoints
    }

    /// TensorBoard's smoothing: a debiased exponential moving average over the finite
    /// values in x order (a non-finite value passes through, and the average carries
    /// on past it); a constant series is left as it is.
    static func smoothed(_ points: [Point], weight: Double) -> [Point] {
        let sorted = points.sorted { $0.x < $1.x }
        let finite = sorted.map(\.y).filter(\.isFinite)
        guard let first = finite.first, !finite.allSatisfy({ $0 == first }) else { return sorted }
        var average = 0.0
        var count = 0.0
        return sorted.map { point in
            guard point.y.isFinite else { return point }
            average = average * weight + (1 - weight) * point.y
            count += 1
            let debias = weight == 1 ? 1 : 1 - pow(weight, count)
            return Point(x: point.x, y: average / debias, spread: point.spread)
        }
    }

    func svg() -> String {
        let allPoints = series.flatMap(\.points)
        let drawn = series.flatMap { Self.segments(of: $0.points).flatMap { $0 } }
        // No xmlns: inline SVG in HTML needs none, and the report holds no URL at all.
        var svg =
            "<svg class=\"chart\" viewBox=\"0 0 \(f(width)) \(f(height))\""
            + " role=\"img\" aria-label=\"\(HTMLText.escape(title))\">\n"
        svg +=
            "<text x=\"\(f(left))\" y=\"18\" font-size=\"14\" font-weight=\"600\" fill=\"#111\">"
            + HTMLText.escape(title) + "</text>\n"
        if nonFiniteCount > 0 {
            svg +=
                "<text x=\"\(f(width - right))\" y=\"18\" font-size=\"11\" text-anchor=\"end\" fill=\"#b91c1c\">"
                + "\(nonFiniteCount) non-finite value\(nonFiniteCount == 1 ? "" : "s") not drawn</text>\n"
        }
        if let yLabel {
            // Rotated along the y axis, centred on the plot area.
            svg +=
                "<text class=\"y-label\" transform=\"translate(14,\(f((top + height - bottom) / 2))) rotate(-90)\""
                + " font-size=\"12\" text-anchor=\"middle\" fill=\"#334155\">\(HTMLText.escape(yLabel))</text>\n"
        }
        guard !drawn.isEmpty else {
            let message = allPoints.isEmpty ? "no data yet" : "no finite values"
            svg +=
                "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width - left - right))\""
                + " height=\"\(f(height - top - bottom))\" fill=\"#f8fafc\" stroke=\"#cbd5e1\"/>\n"
            svg +=
                "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f((top + height - bottom) / 2))\""
                + " font-size=\"13\" text-anchor=\"middle\" fill=\"#64748b\">\(message)</text>\n</svg>"
            return svg
        }
        let hasZeros = drawn.contains { $0.y == 0 }
        let notes =
            (isLogScale ? [hasZeros ? "log scale, 0 drawn on the floor" : "log scale"] : [])
            + (series.contains(where: isSmoothed)
                ? ["smoothed (EMA \(ChartAxis.label(smoothingWeight ?? 0))), raw values lighter"] : [])
        if !notes.isEmpty {
            svg +=
                "<text class=\"chart-note\" x=\"\(f(width - right))\" y=\"31\" font-size=\"10.5\""
                + " text-anchor=\"end\" fill=\"#64748b\">\(HTMLText.escape(notes.joined(separator: " · ")))</text>\n"
        }
        // The x axis spans the non-finite points too, so their markers have a place.
        let xAxis = ChartAxis(covering: allPoints.map(\.x), targetTicks: 8, integers: true)
        let yValues = drawn.flatMap { point -> [Double] in
            guard let spread = point.spread, spread.isFinite else { return [point.y] }
            return [point.y - spread, point.y + spread]
        }
        let yAxis =
            isLogScale
            ? ChartAxis(logCovering: drawn.map(\.y) + yValues.filter { $0 > 0 }) : ChartAxis(covering: yValues)
        let px = { (x: Double) in xAxis.position(x, from: left, to: width - right) }
        let py = { (y: Double) in yAxis.position(y, from: height - bottom, to: top) }

        for tick in yAxis.ticks {
            svg +=
                "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(py(tick)))\" y2=\"\(f(py(tick)))\""
                + " stroke=\"#e2e8f0\"/>\n"
            svg +=
                "<text x=\"\(f(left - 6))\" y=\"\(f(py(tick) + 4))\" font-size=\"11\" text-anchor=\"end\""
                + " fill=\"#475569\">\(ChartAxis.label(tick))</text>\n"
        }
        for tick in xAxis.ticks {
            svg +=
                "<line x1=\"\(f(px(tick)))\" x2=\"\(f(px(tick)))\" y1=\"\(f(height - bottom))\""
                + " y2=\"\(f(height - bottom + 4))\" stroke=\"#64748b\"/>\n"
            svg +=
                "<text x=\"\(f(px(tick)))\" y=\"\(f(height - bottom + 16))\" font-size=\"11\""
                + " text-anchor=\"middle\" fill=\"#475569\">\(ChartAxis.label(tick))</text>\n"
        }
        svg +=
            "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(height - bottom))\""
            + " y2=\"\(f(height - bottom))\" stroke=\"#64748b\"/>\n"
        svg +=
            "<text class=\"x-label\" x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 6))\" font-size=\"12\""
            + " text-anchor=\"middle\" fill=\"#334155\">\(HTMLText.escape(xLabel))</text>\n"

        for line in series {
            svg += lineSVG(line, px: px, py: py)
        }
        if series.count > 1 {
            for (index, line) in series.enumerated() {
                let y = top + 4 + Double(index) * 14
                svg +=
                    "<rect x=\"\(f(left + 8))\" y=\"\(f(y))\" width=\"10\" height=\"10\" fill=\"\(line.color)\"/>"
                    + "<text x=\"\(f(left + 22))\" y=\"\(f(y + 9))\" font-size=\"11\" fill=\"#111\">"
                    + HTMLText.escape(line.name) + "</text>\n"
            }
        }
        return svg + "</svg>"
    }

    /// One series: bands (or error bars) of its spread, its line (raw and lighter
    /// under a smoothed one, when smoothed), non-finite markers and point tooltips.
    private func lineSVG(_ line: Series, px: (Double) -> Double, py: (Double) -> Double) -> String {
        var svg = ""
        let color = line.color
        let smooth = isSmoothed(line)
        let segments = Self.segments(of: line.points)
        for segment in segments {
            let banded = segment.filter { $0.spread?.isFinite == true }
            if banded.count == segment.count && segment.count >= 2 {
                let upper = segment.map { "\(f(px($0.x))),\(f(py($0.y + $0.spread!)))" }
                let lower = segment.reversed().map { "\(f(px($0.x))),\(f(py($0.y - $0.spread!)))" }
                svg +=
                    "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(color)\""
                    + " fill-opacity=\"\(smooth ? "0.12" : "0.18")\" stroke=\"none\"/>\n"
            } else {
                // A lone point (or a gap in the spread): an error bar instead of a band.
                for point in banded {
                    svg +=
                        "<line x1=\"\(f(px(point.x)))\" x2=\"\(f(px(point.x)))\""
                        + " y1=\"\(f(py(point.y - point.spread!)))\" y2=\"\(f(py(point.y + point.spread!)))\""
                        + " stroke=\"\(color)\" stroke-opacity=\"0.35\" stroke-width=\"6\"/>\n"
                }
            }
            let path = segment.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            svg +=
                "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\""
                + (smooth ? " stroke-opacity=\"0.35\" stroke-width=\"1.25\"" : " stroke-width=\"2\"")
                + " stroke-linejoin=\"round\"/>\n"
        }
        if smooth, let weight = smoothingWeight {
            for segment in Self.segments(of: Self.smoothed(line.points, weight: weight)) {
                let path = segment.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                svg +=
                    "<polyline class=\"smoothed\" points=\"\(path)\" fill=\"none\" stroke=\"\(color)\""
                    + " stroke-width=\"2.25\" stroke-linejoin=\"round\"/>\n"
            }
        }
        // A red cross on the x axis where a value is NaN or infinite: the gap is a fact, not missing data.
        for point in line.points where point.x.isFinite && !point.y.isFinite {
            let x = px(point.x)
            let y = height - bottom
            svg +=
                "<path d=\"M\(f(x - 4)),\(f(y - 4)) L\(f(x + 4)),\(f(y + 4)) M\(f(x - 4)),\(f(y + 4))"
                + " L\(f(x + 4)),\(f(y - 4))\" stroke=\"#b91c1c\" stroke-width=\"2\">"
                + "<title>\(xName) \(ChartAxis.label(point.x)): \(HTMLText.number(point.y))</title></path>\n"
        }
        let drawn = segments.flatMap { $0 }
        if drawn.count <= 60 {
            for point in drawn {
                let spread = point.spread.map { " ± " + HTMLText.number($0) } ?? ""
                svg +=
                    "<circle cx=\"\(f(px(point.x)))\" cy=\"\(f(py(point.y)))\" r=\"\(smooth ? "2" : "3")\""
                    + " fill=\"\(color)\"\(smooth ? " fill-opacity=\"0.5\"" : "")>"
                    + "<title>\(xName) \(ChartAxis.label(point.x)): \(HTMLText.number(point.y))\(spread)</title></circle>\n"
            }
        }
        return svg
    }

    /// Coordinates with two decimals: plenty on screen, and a stable text for tests.
    private func f(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}
