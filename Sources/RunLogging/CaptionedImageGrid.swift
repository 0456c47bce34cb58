import Foundation
import ImageCodecs

/// One sample's caption: its prompt and its reward (ddpo-pytorch logs each image
/// to W&B as "prompt | reward").
public struct SampleCaption: Equatable, Sendable {
    public var prompt: String
    /// NaN for a sample whose reward was dropped (`non_finite: drop`).
    public var reward: Double

    public init(prompt: String, reward: Double) {
        self.prompt = prompt
        self.reward = reward
    }

    /// The reward as the captions write it: four significant digits, "NaN (dropped)"
    /// for a dropped sample.
    public var rewardText: String {
        guard reward.isFinite else { return reward.isNaN ? "NaN (dropped)" : (reward > 0 ? "+inf" : "-inf") }
        return String(format: "%.4g", reward)
    }
}

/// A sample grid with each image's prompt and reward drawn under it (`BitmapFont`),
/// for TensorBoard's image tab.
///
/// Why pixels: TensorBoard has no caption per image. A summary's display name and
/// description belong to its tag and are read from the tag's first event only, so
/// they cannot change per epoch; one tag per sample would also scatter a grid over
/// 16 cards. Text drawn into the grid is shown wherever the image is, at every step.
/// Prompts longer than the tile is wide wrap onto up to `maxPromptLines` lines, the
/// last one cut with "…"; the full prompts also go to the `samples/captions` text
/// summary (`markdownTable`).
///
/// Small tiles (the tiny models' 16–64 px images) are first scaled up by a whole
/// factor to at least `minimumTileWidth` pixels, nearest neighbour, so that a
/// caption has room and the pixels stay visibly pixels.
public enum CaptionedImageGrid {
    public static let minimumTileWidth = 128
    public static let maxPromptLines = 3

    private static let promptColor: (red: UInt8, green: UInt8, blue: UInt8) = (30, 41, 59)
    private static let rewardColor: (red: UInt8, green: UInt8, blue: UInt8) = (29, 78, 216)

    /// `images` (all one size) with `captions` (one per image), `columns` per row.
    public static func render(_ images: [RGBImage], captions: [SampleCaption], columns: Int) -> RGBImage {
        precondition(!images.isEmpty, "CaptionedImageGrid.render: no images")
        precondition(
            captions.count == images.count,
            "CaptionedImageGrid.render: \(captions.count) captions for \(images.count) images")
        let factor = tileScale(width: images[0].width)
        let tileWidth = images[0].width * factor
        let textScale = max(1, tileWidth / 256)
        let margin = 2 * textScale
        let charactersPerLine = max(1, (tileWidth - margin) / (BitmapFont.advance * textScale))
        let promptLines = captions.map { wrap($0.prompt, width: charactersPerLine, maxLines: maxPromptLines) }
        // Every cell gets the same caption height, so the grid's rows line up.
        let lineCount = (promptLines.map(\.count).max() ?? 0) + 1
        let captionHeight = (lineCount * BitmapFont.lineHeight + 2) * textScale
        let cells = zip(images, zip(promptLines, captions)).map { image, caption in
            cell(
                scaled(image, by: factor), promptLines: caption.0, reward: "reward " + caption.1.rewardText,
                captionHeight: captionHeight, textScale: textScale, charactersPerLine: charactersPerLine)
        }
        // A grey frame around the cells: a white caption would otherwise run into the next tile.
        return ImageGrid.tile(cells, columns: columns, padding: 4, background: (203, 213, 225))
    }

    /// The whole factor that brings a tile of `width` pixels to at least `minimumTileWidth`.
    static func tileScale(width: Int) -> Int {
        max(1, (minimumTileWidth + width - 1) / max(1, width))
    }

    /// `text` split at spaces into lines of at most `width` characters (a longer word
    /// is cut), at most `maxLines` of them, the last ending in "…" when text was left out.
    static func wrap(_ text: String, width: Int, maxLines: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            var word = String(word)
            while word.count > width {
                if !current.isEmpty {
                    lines.append(current)
                    current = ""
                }
                lines.append(String(word.prefix(width)))
                word = String(word.dropFirst(width))
            }
            if current.isEmpty {
                current = word
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                lines.append(current)
                current = word
            }
        }
        if !current.isEmpty { lines.append(current) }
        guard lines.count > maxLines else { return lines }
        var kept = Array(lines.prefix(maxLines))
        kept[maxLines - 1] = String(kept[maxLines - 1].prefix(width - 1)) + "…"
        return kept
    }

    /// The samples' prompts and rewards as a Markdown table, for a text summary: the
    /// full prompts, which the grid may have cut. "|" in a prompt is escaped.
    public static func markdownTable(_ captions: [SampleCaption]) -> String {
        var text = "| # | prompt | reward |\n|---:|---|---:|\n"
        for (index, caption) in captions.enumerated() {
            let prompt = caption.prompt.replacingOccurrences(of: "|", with: "\\|")
            text += "| \(index + 1) | \(prompt) | \(caption.rewardText) |\n"
        }
        return text
    }

    private static func scaled(_ image: RGBImage, by factor: Int) -> RGBImage {
        guard factor > 1 else { return image }
        let width = image.width * factor
        var pixels = [UInt8](repeating: 0, count: width * image.height * factor * 3)
        for y in 0..<(image.height * factor) {
            for x in 0..<width {
                let source = ((y / factor) * image.width + x / factor) * 3
                let target = (y * width + x) * 3
                pixels[target] = image.pixels[source]
                pixels[target + 1] = image.pixels[source + 1]
                pixels[target + 2] = image.pixels[source + 2]
            }
        }
        return RGBImage(width: width, height: image.height * factor, pixels: pixels)
    }

    /// The tile above a white caption area holding the prompt's lines and the reward.
    private static func cell(
        _ tile: RGBImage, promptLines: [String], reward: String, captionHeight: Int, textScale: Int,
        charactersPerLine: Int
    ) -> RGBImage {
        let height = tile.height + captionHeight
        var cell = RGBImage(
            width: tile.width, height: height, pixels: [UInt8](repeating: 255, count: tile.width * height * 3))
        cell.pixels.replaceSubrange(0..<tile.pixels.count, with: tile.pixels)
        var y = tile.height + 2 * textScale
        for line in promptLines {
            BitmapFont.draw(line, into: &cell, x: 2 * textScale, y: y, scale: textScale, color: promptColor)
            y += BitmapFont.lineHeight * textScale
        }
        BitmapFont.draw(
            String(reward.prefix(charactersPerLine)), into: &cell, x: 2 * textScale, y: y, scale: textScale,
            color: rewardColor)
        return cell
    }
}
