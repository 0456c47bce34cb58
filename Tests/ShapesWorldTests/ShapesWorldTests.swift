import ImageCodecs
import Torch
import XCTest

@testable import ShapesWorld

final class ShapesWorldTests: XCTestCase {
    func testSameSeedAndIndexGiveIdenticalPixels() {
        for index in [0, 1, 17, 123_456] {
            let a = ShapesWorld.scene(seed: 42, index: index)
            let b = ShapesWorld.scene(seed: 42, index: index)
            XCTAssertEqual(a, b)
            XCTAssertEqual(a.render(), b.render())
        }
        // Neighbouring indices and seeds differ (not a proof, but catches a hash that ignores one).
        XCTAssertNotEqual(ShapesWorld.scene(seed: 42, index: 0), ShapesWorld.scene(seed: 42, index: 1))
        XCTAssertNotEqual(ShapesWorld.scene(seed: 42, index: 0), ShapesWorld.scene(seed: 43, index: 0))
    }

    func testBatchMatchesTheRenderedScenes() {
        let batch = ShapesWorld.batch(seed: 7, first: 10, count: 3)
        XCTAssertEqual(batch.images.shape, [3, 3, 64, 64])
        XCTAssertEqual(batch.images.dtype, .float32)
        for i in 0..<3 {
            XCTAssertEqual(batch.scenes[i], ShapesWorld.scene(seed: 7, index: 10 + i))
            XCTAssertEqual(batch.captions[i], batch.scenes[i].caption)
            XCTAssertEqual(RGBImage(tensor: batch.images[i]), batch.scenes[i].render())
        }
    }

    func testEveryCaptionParsesBackToItsDescription() {
        let descriptions = ShapesWorld.descriptions()
        XCTAssertEqual(descriptions.count, 4 * 6 * 3 * 4)
        XCTAssertEqual(Set(descriptions.map(\.caption)).count, descriptions.count, "captions must be unique")
        for description in descriptions {
            XCTAssertEqual(ShapesWorld.parse(caption: description.caption), description, description.caption)
        }
        for index in 0..<50 {
            let scene = ShapesWorld.scene(seed: 3, index: index)
            XCTAssertEqual(ShapesWorld.parse(caption: scene.caption), scene.description)
        }
    }

    func testCaptionWording() {
        let one = ShapesScene.Description(kind: .circle, color: .red, count: 1, background: .lightBlue)
        XCTAssertEqual(one.caption, "a red circle on a light blue background")
        let orange = ShapesScene.Description(kind: .star, color: .orange, count: 1, background: .gray)
        XCTAssertEqual(orange.caption, "an orange star on a gray background")
        let two = ShapesScene.Description(kind: .square, color: .green, count: 2, background: .white)
        XCTAssertEqual(two.caption, "two green squares on a white background")
        let three = ShapesScene.Description(kind: .star, color: .yellow, count: 3, background: .black)
        XCTAssertEqual(three.caption, "three yellow stars on a black background")
    }

    func testForeignCaptionsDoNotParse() {
        for text in [
            "", "a red circle", "a red circle on a pink background", "four red circles on a white background",
            "a red circles on a white background", "two red circle on a white background", "a cat"
        ] {
            XCTAssertNil(ShapesWorld.parse(caption: text), text)
        }
        XCTAssertNotNil(ShapesWorld.parse(caption: "  A Red circle on a white   background "))
    }

    func testVocabularyCoversEveryCaption() {
        let vocabulary = Set(ShapesWorld.vocabulary)
        for caption in ShapesWorld.captions() {
            for word in caption.split(separator: " ") {
                XCTAssertTrue(vocabulary.contains(String(word)), "\(word) of \"\(caption)\"")
            }
        }
        XCTAssertTrue(vocabulary.isSuperset(of: ["light", "blue", "three", "stars", "an"]))
    }

    func testRenderingPutsTheShapeColourAtTheCentreAndTheBackgroundAtTheCorners() {
        for index in 0..<200 {
            let scene = ShapesWorld.scene(seed: 11, index: index)
            let image = scene.render()
            let background = rgb(scene.background.rgb)
            for (x, y) in [(0, 0), (63, 0), (0, 63), (63, 63)] {
                XCTAssertEqual(pixel(image, x, y), background, "scene \(index) corner (\(x), \(y))")
            }
            for shape in scene.shapes {
                XCTAssertEqual(
                    pixel(image, Int(shape.centerX), Int(shape.centerY)), rgb(scene.color.rgb),
                    "scene \(index): \(scene.caption)")
            }
        }
    }

    func testTheNumberOfColourComponentsIsTheCount() {
        for index in 0..<200 {
            let scene = ShapesWorld.scene(seed: 5, index: index)
            let image = scene.render()
            XCTAssertEqual(
                components(of: rgb(scene.color.rgb), in: image, minimumSize: 4), scene.count,
                "scene \(index): \(scene.caption)")
        }
    }

    func testEveryKindColourCountAndBackgroundOccurs() {
        let scenes = (0..<400).map { ShapesWorld.scene(seed: 1, index: $0) }
        XCTAssertEqual(Set(scenes.map(\.kind)).count, 4)
        XCTAssertEqual(Set(scenes.map(\.color)).count, 6)
        XCTAssertEqual(Set(scenes.map(\.count)), [1, 2, 3])
        XCTAssertEqual(Set(scenes.map(\.background)).count, 4)
    }

    func testHeldOutPairsAreExcludedOnRequest() {
        XCTAssertEqual(ShapesWorld.heldOutPairs.count, 4)
        let scenes = (0..<400).map { ShapesWorld.scene(seed: 1, index: $0, excludingHeldOut: true) }
        for scene in scenes {
            XCTAssertFalse(ShapesWorld.heldOutPairs.contains(ShapeColorPair(scene.kind, scene.color)), scene.caption)
        }
        XCTAssertEqual(ShapesWorld.captions(excludingHeldOut: true).count, 20 * 3 * 4)
        XCTAssertEqual(ShapesWorld.heldOutCaptions.count, 4 * 3 * 4)
        XCTAssertEqual(
            ShapesWorld.captions(kinds: [.star], colours: [.red], counts: [2], backgrounds: [.black]),
            ["two red stars on a black background"])
    }

    func testRenderingScalesWithSize() {
        let scene = ShapesWorld.scene(seed: 2, index: 0)
        let image = scene.render(size: 128)
        XCTAssertEqual(image.width, 128)
        let shape = scene.shapes[0]
        XCTAssertEqual(pixel(image, Int(shape.centerX * 2), Int(shape.centerY * 2)), rgb(scene.color.rgb))
    }

    // MARK: Helpers

    private func rgb(_ c: (UInt8, UInt8, UInt8)) -> [UInt8] { [c.0, c.1, c.2] }

    private func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> [UInt8] {
        let p = (y * image.width + x) * 3
        return Array(image.pixels[p..<p + 3])
    }

    /// 8-connected components of pixels of exactly `colour`, ignoring specks below
    /// `minimumSize` (a star's tip can rasterise to a lone pixel).
    private func components(of colour: [UInt8], in image: RGBImage, minimumSize: Int) -> Int {
        let w = image.width
        let h = image.height
        var seen = [Bool](repeating: false, count: w * h)
        var found = 0
        for start in 0..<(w * h) where !seen[start] && pixel(image, start % w, start / w) == colour {
            var stack = [start]
            seen[start] = true
            var size = 0
            while let p = stack.popLast() {
                size += 1
                let (x, y) = (p % w, p / w)
                for dy in -1...1 {
                    for dx in -1...1 {
                        let (nx, ny) = (x + dx, y + dy)
                        guard nx >= 0, ny >= 0, nx < w, ny < h else { continue }
                        let q = ny * w + nx
                        if !seen[q] && pixel(image, nx, ny) == colour {
                            seen[q] = true
                            stack.append(q)
                        }
                    }
                }
            }
            if size >= minimumSize { found += 1 }
        }
        return found
    }
}
