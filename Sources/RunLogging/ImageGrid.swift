import ImageCodecs

/// Tiles images of one size into a grid image, row by row, for TensorBoard and the
/// HTML report's sample grids.
///
/// Captions (prompts, rewards) are not drawn: drawing text needs a font rasterizer,
/// which this library does not have. The report writes captions in HTML next to the
/// grid instead; `origin(ofTile:)` says where each tile is, so a caption or an image
/// map can be placed over the right tile.
///
/// Layout: `columns` tiles per row (fewer if there are fewer images), as many rows
/// as needed; `padding` pixels of `background` around every tile, so the gap between
/// two tiles is `padding` and the border is `padding` too. Cells of a last row that
/// is not full stay background.
public struct ImageGrid: Equatable, Sendable {
    public var tileCount: Int
    public var tileWidth: Int
    public var tileHeight: Int
    public var columns: Int
    public var padding: Int

    public init(tileCount: Int, tileWidth: Int, tileHeight: Int, columns: Int, padding: Int) {
        precondition(
            tileCount >= 1 && tileWidth >= 1 && tileHeight >= 1,
            "ImageGrid: \(tileCount) tiles of \(tileWidth)x\(tileHeight)")
        precondition(columns >= 1 && padding >= 0, "ImageGrid: columns \(columns), padding \(padding)")
        self.tileCount = tileCount
        self.tileWidth = tileWidth
        self.tileHeight = tileHeight
        self.columns = min(columns, tileCount)
        self.padding = padding
    }

    public var rows: Int { (tileCount + columns - 1) / columns }
    public var width: Int { columns * tileWidth + (columns + 1) * padding }
    public var height: Int { rows * tileHeight + (rows + 1) * padding }

    /// The top-left pixel of tile `index` (tiles go left to right, then top to bottom).
    public func origin(ofTile index: Int) -> (x: Int, y: Int) {
        precondition((0..<tileCount).contains(index), "ImageGrid: tile \(index) of \(tileCount)")
        let column = index % columns
        let row = index / columns
        return (padding + column * (tileWidth + padding), padding + row * (tileHeight + padding))
    }

    /// The grid of `images`, which must all have the same size.
    public static func tile(
        _ images: [RGBImage], columns: Int, padding: Int = 2,
        background: (red: UInt8, green: UInt8, blue: UInt8) = (255, 255, 255)
    ) -> RGBImage {
        precondition(!images.isEmpty, "ImageGrid.tile: no images")
        let first = images[0]
        for (index, image) in images.enumerated() where image.width != first.width || image.height != first.height {
            preconditionFailure(
                "ImageGrid.tile: image \(index) is \(image.width)x\(image.height), "
                    + "image 0 is \(first.width)x\(first.height)")
        }
        let grid = ImageGrid(
            tileCount: images.count, tileWidth: first.width, tileHeight: first.height,
            columns: columns, padding: padding)
        var pixels = [UInt8](repeating: 0, count: grid.width * grid.height * 3)
        for offset in stride(from: 0, to: pixels.count, by: 3) {
            pixels[offset] = background.red
            pixels[offset + 1] = background.green
            pixels[offset + 2] = background.blue
        }
        let rowBytes = first.width * 3
        for (index, image) in images.enumerated() {
            let (x, y) = grid.origin(ofTile: index)
            for row in 0..<image.height {
                let destination = ((y + row) * grid.width + x) * 3
                pixels.replaceSubrange(
                    destination..<destination + rowBytes,
                    with: image.pixels[row * rowBytes..<(row + 1) * rowBytes])
            }
        }
        return RGBImage(width: grid.width, height: grid.height, pixels: pixels)
    }
}
