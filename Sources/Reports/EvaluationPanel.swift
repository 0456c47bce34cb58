import DDPO
import Foundation
import ImageCodecs
import RunLogging

/// One evaluation as HTML: its tiles cut out of the grid PNG (by the layout the
/// JSON records, `ImageGrid.origin(ofTile:)`), each embedded as a PNG data URI and
/// captioned with its prompt and reward. Cutting the tiles, rather than showing
/// the grid whole, lets each caption sit under its own image at any width.
struct EvaluationPanel {
    var title: String
    var evaluation: Evaluation?
    /// The folder holding the grid PNG.
    var directory: URL
    /// Rewards of the same prompts before training, to show each tile's gain.
    var baseline: Evaluation?
    /// Shown when `evaluation` is nil.
    var missingMessage: String
    /// config.yaml's `seed` and the task's index (0 for a single task): with them the
    /// panel names the configured seed rather than the evaluation's derived one.
    var runSeed: UInt64? = nil
    var taskIndex = 0

    /// Tiles are scaled by a whole factor to about this width: the tiny test
    /// models draw 16–64 px images, which would be unreadable at their own size.
    static let targetTileWidth = 128

    func html() -> String {
        guard let evaluation else {
            return "<div class=\"panel\"><h3>\(HTMLText.escape(title))</h3>"
                + "<p class=\"missing\">\(HTMLText.escape(missingMessage))</p></div>"
        }
        let when =
            evaluation.epoch == 0 ? "base model" : "after \(evaluation.epoch) epoch\(evaluation.epoch == 1 ? "" : "s")"
        var html =
            "<div class=\"panel\"><h3>\(HTMLText.escape(title)) <span class=\"muted\">\(when)"
            + "</span></h3>\n<p>mean reward <b>\(HTMLText.number(evaluation.meanReward))</b>"
            + " over \(evaluation.prompts.count) prompts, \(Self.seedText(evaluation, runSeed: runSeed, taskIndex: taskIndex))</p>\n"
        do {
            let tiles = try tileImages(evaluation)
            let scale = max(1, Self.targetTileWidth / max(1, evaluation.tileWidth))
            html +=
                "<div class=\"tiles\" style=\"grid-template-columns: repeat(\(max(1, evaluation.columns)), minmax(0, 1fr))\">\n"
            for (index, tile) in tiles.enumerated() {
                let prompt = index < evaluation.prompts.count ? evaluation.prompts[index] : "?"
                let reward = index < evaluation.rewards.count ? evaluation.rewards[index] : .nan
                html +=
                    "<figure><img src=\"\(HTMLText.dataURI(mediaType: "image/png", bytes: try tile.pngData()))\""
                    + " width=\"\(tile.width * scale)\" height=\"\(tile.height * scale)\""
                    + " alt=\"\(HTMLText.escape(prompt))\">"
                    + "<figcaption><span class=\"prompt\">\(HTMLText.escape(prompt))</span>"
                    + "<span class=\"reward\">\(HTMLText.number(reward))\(gain(index: index, reward: reward))</span>"
                    + "</figcaption></figure>\n"
            }
            html += "</div>\n"
        } catch {
            html +=
                "<p class=\"missing\">The grid \(HTMLText.escape(evaluation.grid)) could not be shown: "
                + "\(HTMLText.escape("\(error)"))</p>\n"
        }
        return html + "</div>"
    }

    /// "seed 42 (evaluation draw)" when the evaluation's noise seed is the one the trainer
    /// derives from run seed 42 for its evaluations (`Trainer.evaluationSeed`), with the
    /// derived number in the tooltip; otherwise that number, which is then all we know
    /// (an evaluation from another run or another version).
    static func seedText(_ evaluation: Evaluation, runSeed: UInt64?, taskIndex: Int) -> String {
        guard let runSeed, evaluation.seed == Trainer.evaluationSeed(runSeed: runSeed, task: taskIndex) else {
            return "noise seed \(evaluation.seed)"
        }
        let draw = taskIndex == 0 ? "evaluation draw" : "task \(taskIndex + 1)'s evaluation draw"
        return
            "<span title=\"noise seed \(evaluation.seed), derived from the run seed\">seed \(runSeed) (\(draw))</span>"
    }

    /// " (+0.12)" against the baseline's reward for the same prompt, if there is one.
    private func gain(index: Int, reward: Double) -> String {
        guard let baseline, index < baseline.prompts.count, index < baseline.rewards.count,
            let evaluation, baseline.prompts[index] == evaluation.prompts[index]
        else { return "" }
        let delta = reward - baseline.rewards[index]
        let kind = delta > 0 ? "up" : delta < 0 ? "down" : "same"
        return " <span class=\"\(kind)\">(\(HTMLText.signed(delta)))</span>"
    }

    /// The tiles of the evaluation's grid, in prompt order.
    func tileImages(_ evaluation: Evaluation) throws -> [RGBImage] {
        guard !evaluation.prompts.isEmpty, evaluation.tileWidth > 0, evaluation.tileHeight > 0,
            evaluation.columns > 0, evaluation.padding >= 0
        else {
            throw RunReportError.badGrid(evaluation.grid, "the JSON records no tiles")
        }
        let grid = try RGBImage(contentsOfPNG: directory.appendingPathComponent(evaluation.grid))
        let layout = ImageGrid(
            tileCount: evaluation.prompts.count, tileWidth: evaluation.tileWidth,
            tileHeight: evaluation.tileHeight, columns: evaluation.columns,
            padding: evaluation.padding)
        guard grid.width == layout.width, grid.height == layout.height else {
            throw RunReportError.badGrid(
                evaluation.grid,
                "the PNG is \(grid.width)×\(grid.height),"
                    + " the JSON's layout \(layout.width)×\(layout.height)")
        }
        return (0..<layout.tileCount).map { index in
            let (x, y) = layout.origin(ofTile: index)
            var pixels: [UInt8] = []
            pixels.reserveCapacity(layout.tileWidth * layout.tileHeight * 3)
            for row in y..<(y + layout.tileHeight) {
                let start = (row * grid.width + x) * 3
                pixels += grid.pixels[start..<(start + layout.tileWidth * 3)]
            }
            return RGBImage(width: layout.tileWidth, height: layout.tileHeight, pixels: pixels)
        }
    }
}
