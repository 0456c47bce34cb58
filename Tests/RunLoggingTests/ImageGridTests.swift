import ImageCodecs
import XCTest

@testable import RunLogging

final class ImageGridTests: XCTestCase {
    /// A w×h image filled with one gray level.
    private func solid(_ level: UInt8, width: Int = 4, height: Int = 3) -> RGBImage {
        RGBImage(width: width, height: height, pixels: [UInt8](repeating: level, count: width * height * 3))
    }

    private func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> [UInt8] {
        let offset = (y * image.width + x) * 3
        return Array(image.pixels[offset..<offset + 3])
    }

    func testLayout() {
        let grid = ImageGrid(tileCount: 5, tileWidth: 4, tileHeight: 3, columns: 3, padding: 2)
        XCTAssertEqual(grid.rows, 2)
        XCTAssertEqual(grid.width, 3 * 4 + 4 * 2)
        XCTAssertEqual(grid.height, 2 * 3 + 3 * 2)
        XCTAssertTrue(grid.origin(ofTile: 0) == (2, 2))
        XCTAssertTrue(grid.origin(ofTile: 2) == (14, 2))
        XCTAssertTrue(grid.origin(ofTile: 4) == (8, 7))
        // Fewer images than columns: the grid is one row of just those.
        XCTAssertEqual(ImageGrid(tileCount: 2, tileWidth: 4, tileHeight: 3, columns: 8, padding: 1).width, 2 * 4 + 3)
    }

    func testTilesLandAtTheirOriginsOnTheBackground() {
        let images = (1...5).map { solid(UInt8($0 * 40)) }
        let result = ImageGrid.tile(images, columns: 3, padding: 2, background: (10, 20, 30))
        let grid = ImageGrid(tileCount: 5, tileWidth: 4, tileHeight: 3, columns: 3, padding: 2)
        XCTAssertEqual([result.width, result.height], [grid.width, grid.height])
        for index in 0..<5 {
            let (x, y) = grid.origin(ofTile: index)
            let level = UInt8((index + 1) * 40)
            XCTAssertEqual(pixel(result, x, y), [level, level, level], "tile \(index) top-left")
            XCTAssertEqual(pixel(result, x + 3, y + 2), [level, level, level], "tile \(index) bottom-right")
            XCTAssertEqual(pixel(result, x - 1, y), [10, 20, 30], "padding left of tile \(index)")
            XCTAssertEqual(pixel(result, x + 4, y + 2), [10, 20, 30], "padding right of tile \(index)")
        }
        XCTAssertEqual(pixel(result, 0, 0), [10, 20, 30])
        // The sixth cell (row 1, column 2) is empty.
        XCTAssertEqual(pixel(result, 14, 7), [10, 20, 30])
        XCTAssertEqual(pixel(result, result.width - 1, result.height - 1), [10, 20, 30])
    }

    func testNoPaddingConcatenatesPixelsExactly() {
        let a = RGBImage(width: 2, height: 1, pixels: [1, 2, 3, 4, 5, 6])
        let b = RGBImage(width: 2, height: 1, pixels: [7, 8, 9, 10, 11, 12])
        XCTAssertEqual(ImageGrid.tile([a, b], columns: 2, padding: 0).pixels, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        XCTAssertEqual(ImageGrid.tile([a, b], columns: 1, padding: 0).pixels, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        XCTAssertEqual(ImageGrid.tile([a, b], columns: 1, padding: 0).height, 2)
    }
}
