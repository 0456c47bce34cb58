import ImageCodecs
import XCTest

@testable import ShapesWorld

/// Pins the original world (1–3 shapes of one kind and colour) to the values
/// computed before the compositional world was added, so that extending the world
/// can never change a scene, an image, a caption or the vocabulary the bundled
/// model was pretrained on.
final class ShapesWorldPinningTests: XCTestCase {
    /// FNV-1a, 64 bits: a stable digest that needs no library.
    private func fnv1a(_ bytes: [UInt8], into hash: inout UInt64) {
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
    }

    private func digest(seed: UInt64, excludingHeldOut: Bool) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for index in 0..<200 {
            let scene = ShapesWorld.scene(seed: seed, index: index, excludingHeldOut: excludingHeldOut)
            fnv1a(scene.render().pixels, into: &hash)
            fnv1a(Array(scene.caption.utf8), into: &hash)
        }
        return hash
    }

    func testOriginalScenesImagesAndCaptionsAreUnchanged() {
        let scenes = digest(seed: 0, excludingHeldOut: false)
        let trainingScenes = digest(seed: 1, excludingHeldOut: true)
        var captions: UInt64 = 0xcbf2_9ce4_8422_2325
        fnv1a(Array(ShapesWorld.captions().joined(separator: "|").utf8), into: &captions)
        var vocabulary: UInt64 = 0xcbf2_9ce4_8422_2325
        fnv1a(Array(ShapesWorld.vocabulary.joined(separator: "|").utf8), into: &vocabulary)
        // Computed at the commit before the compositional world, by this same digest.
        XCTAssertEqual(scenes, 12_834_014_596_407_552_783)
        XCTAssertEqual(trainingScenes, 431_967_608_155_000_600)
        XCTAssertEqual(captions, 2_895_173_295_012_132_023)
        XCTAssertEqual(vocabulary, 12_512_334_294_943_870_991)
    }
}
