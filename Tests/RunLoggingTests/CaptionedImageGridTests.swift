import ImageCodecs
import XCTest

@testable import RunLogging

final class CaptionedImageGridTests: XCTestCase {
    private func blank(width: Int, height: Int) -> RGBImage {
        RGBImage(width: width, height: height, pixels: [UInt8](repeating: 255, count: width * height * 3))
    }

    /// The image's pixels as rows of "#" (not white) and "." (white).
    private func picture(_ image: RGBImage) -> [String] {
        (0..<image.height).map { y in
            String((0..<image.width).map { x in image.pixels[(y * image.width + x) * 3] == 255 ? "." : "#" })
        }
    }

    func testGlyphsAreDrawnPixelForPixelAndScaled() {
        var image = blank(width: 12, height: 8)
        BitmapFont.draw("1-", into: &image, x: 0, y: 0, color: (0, 0, 0))
        XCTAssertEqual(
            picture(image),
            [
                "..#.........", ".##.........", "..#.........", "..#...#####.", "..#.........", "..#.........",
                ".###........", "............"
            ])
        var doubled = blank(width: 10, height: 16)
        BitmapFont.draw("-", into: &doubled, x: 0, y: 0, scale: 2, color: (0, 0, 0))
        XCTAssertEqual(picture(doubled)[6], "##########")
        XCTAssertEqual(picture(doubled)[5], "..........")
        // Clipped at the edge, never out of bounds.
        var small = blank(width: 3, height: 3)
        BitmapFont.draw("W", into: &small, x: 1, y: -2, color: (0, 0, 0))
        XCTAssertEqual(small.pixels.count, 27)
    }

    func testEveryPrintableASCIICharacterHasItsOwnGlyph() {
        let box = BitmapFont.glyph(BitmapFont.missing)
        var seen: [[UInt8]: Character] = [:]
        for scalar in 32...126 {
            let character = Character(UnicodeScalar(UInt8(scalar)))
            let glyph = BitmapFont.glyph(character)
            XCTAssertEqual(glyph.count, BitmapFont.glyphHeight)
            XCTAssertNotEqual(glyph, box, "'\(character)' falls back to the box")
            if let other = seen[glyph] { XCTFail("'\(character)' looks like '\(other)'") }
            seen[glyph] = character
        }
        XCTAssertEqual(BitmapFont.glyph("é"), box, "a character the font lacks shows as a box")
    }

    func testPromptsWrapAtWordsAndLongOnesAreCut() {
        XCTAssertEqual(
            CaptionedImageGrid.wrap("two green triangles on a black background", width: 21, maxLines: 3),
            ["two green triangles", "on a black background"])
        XCTAssertEqual(
            CaptionedImageGrid.wrap("a very long prompt that goes on and on", width: 10, maxLines: 2),
            ["a very", "long…"])
        XCTAssertEqual(CaptionedImageGrid.wrap("abcdefghij", width: 4, maxLines: 3), ["abcd", "efgh", "ij"])
        XCTAssertEqual(CaptionedImageGrid.wrap("", width: 4, maxLines: 3), [])
    }

    func testGridScalesSmallTilesAndDrawsEachCaptionUnderItsTile() {
        // Two 16×16 tiles, scaled ×8 to 128 px; captions of one prompt line and the reward.
        let red = RGBImage(width: 16, height: 16, pixels: Array(repeating: [255, 0, 0], count: 256).flatMap { $0 })
        let captions = [SampleCaption(prompt: "a cat", reward: 1.5), SampleCaption(prompt: "a dog", reward: -0.25)]
        let grid = CaptionedImageGrid.render([red, red], captions: captions, columns: 2)
        let captionHeight = 2 * BitmapFont.lineHeight + 2
        XCTAssertEqual(grid.width, 2 * 128 + 3 * 4)
        XCTAssertEqual(grid.height, 128 + captionHeight + 2 * 4)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] {
            let offset = (y * grid.width + x) * 3
            return Array(grid.pixels[offset..<offset + 3])
        }
        XCTAssertEqual(pixel(4, 4), [255, 0, 0], "the tile, scaled")
        XCTAssertEqual(pixel(4 + 127, 4 + 127), [255, 0, 0])
        XCTAssertEqual(pixel(4, 4 + 128), [255, 255, 255], "the caption area starts white")
        // Ink in each caption area: the prompt's line, then the reward's.
        for column in 0..<2 {
            let left = 4 + column * (128 + 4)
            func inked(_ rows: Range<Int>) -> Bool {
                rows.contains { y in (left..<(left + 128)).contains { pixel($0, 4 + 128 + y) != [255, 255, 255] } }
            }
            XCTAssertTrue(inked(2..<10), "prompt line of tile \(column)")
            XCTAssertTrue(inked(12..<20), "reward line of tile \(column)")
        }
        XCTAssertEqual(captions.map(\.rewardText), ["1.5", "-0.25"])
        XCTAssertEqual(SampleCaption(prompt: "", reward: .nan).rewardText, "NaN (dropped)")
    }

    func testMarkdownTableEscapesPipes() {
        XCTAssertEqual(
            CaptionedImageGrid.markdownTable([SampleCaption(prompt: "a|b", reward: 0.125)]),
            "| # | prompt | reward |\n|---:|---|---:|\n| 1 | a\\|b | 0.125 |\n")
    }
}
