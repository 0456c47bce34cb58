import Foundation
import ImageCodecs

/// Draws scenes into interleaved RGB bytes with plain loops: no anti-aliasing, so
/// every pixel is exactly the background or the shape colour (the tests count
/// shapes by connected components, and the recogniser sees clean colours).
enum ShapeRasterizer {
    /// A size×size image whose interleaved RGB bytes `draw` fills.
    static func image(size: Int, _ draw: (UnsafeMutableBufferPointer<UInt8>) -> Void) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        pixels.withUnsafeMutableBufferPointer { draw($0) }
        return RGBImage(width: size, height: size, pixels: pixels)
    }

    /// Fills `pixels` (size·size·3 bytes) with `scene`.
    static func draw(_ scene: ShapesScene, size: Int, into pixels: UnsafeMutableBufferPointer<UInt8>) {
        fill(scene.background, size: size, into: pixels)
        for shape in scene.shapes {
            draw(scene.kind, scene.color, at: shape, size: size, into: pixels)
        }
    }

    /// Fills `pixels` with a relation scene: the subject first, then the object
    /// (they never overlap, so the order does not show).
    static func draw(_ scene: RelationScene, size: Int, into pixels: UnsafeMutableBufferPointer<UInt8>) {
        fill(scene.background, size: size, into: pixels)
        draw(scene.subject.kind, scene.subject.color, at: scene.subjectShape, size: size, into: pixels)
        draw(scene.object.kind, scene.object.color, at: scene.objectShape, size: size, into: pixels)
    }

    /// Every pixel in the background colour.
    static func fill(_ background: BackgroundColor, size: Int, into pixels: UnsafeMutableBufferPointer<UInt8>) {
        precondition(pixels.count == size * size * 3, "ShapeRasterizer: buffer does not hold \(size)×\(size) RGB")
        let (br, bg, bb) = background.rgb
        var offset = 0
        while offset < pixels.count {
            pixels[offset] = br
            pixels[offset + 1] = bg
            pixels[offset + 2] = bb
            offset += 3
        }
    }

    /// One shape of `kind` in `color` over whatever is drawn already.
    static func draw(
        _ kind: ShapeKind, _ color: ShapeColor, at shape: ShapesScene.PlacedShape, size: Int,
        into pixels: UnsafeMutableBufferPointer<UInt8>
    ) {
        let (r, g, b) = color.rgb
        let scale = Double(size) / 64
        let cx = shape.centerX * scale
        let cy = shape.centerY * scale
        let radius = shape.radius * scale
        let polygon = outline(kind, cx: cx, cy: cy, radius: radius)
        let x0 = max(0, Int((cx - radius).rounded(.down)))
        let x1 = min(size - 1, Int((cx + radius).rounded(.up)))
        let y0 = max(0, Int((cy - radius).rounded(.down)))
        let y1 = min(size - 1, Int((cy + radius).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            let py = Double(y) + 0.5
            for x in x0...x1 {
                let px = Double(x) + 0.5
                let inside =
                    polygon.isEmpty
                    ? (px - cx) * (px - cx) + (py - cy) * (py - cy) <= radius * radius
                    : contains(polygon, px, py)
                if inside {
                    let p = (y * size + x) * 3
                    pixels[p] = r
                    pixels[p + 1] = g
                    pixels[p + 2] = b
                }
            }
        }
    }

    /// The polygon of a kind, upright, inside the circle of `radius`; empty for a
    /// circle (drawn by distance instead).
    static func outline(_ kind: ShapeKind, cx: Double, cy: Double, radius: Double) -> [(Double, Double)] {
        func ring(_ corners: Int, _ radii: [Double], startAngle: Double) -> [(Double, Double)] {
            (0..<corners).map { i in
                let angle = startAngle + Double(i) * 2 * Double.pi / Double(corners)
                let r = radii[i % radii.count]
                return (cx + r * cos(angle), cy + r * sin(angle))
            }
        }
        switch kind {
        case .circle:
            return []
        case .square:
            // Corners on the circle: half side r/√2 (axis-aligned, corners at 45°).
            return ring(4, [radius], startAngle: Double.pi / 4)
        case .triangle:
            // Apex up (y grows downwards, so up is -π/2).
            return ring(3, [radius], startAngle: -Double.pi / 2)
        case .star:
            // Five points; the inner radius 0.45 r keeps the arms thick enough to see at 64 px.
            return ring(10, [radius, 0.45 * radius], startAngle: -Double.pi / 2)
        }
    }

    /// Even-odd rule: a ray to the right crosses the outline an odd number of times.
    static func contains(_ polygon: [(Double, Double)], _ x: Double, _ y: Double) -> Bool {
        var inside = false
        var j = polygon.count - 1
        for i in 0..<polygon.count {
            let (xi, yi) = polygon[i]
            let (xj, yj) = polygon[j]
            if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                inside.toggle()
            }
            j = i
        }
        return inside
    }
}
