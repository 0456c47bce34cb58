import Foundation
import ImageCodecs
import Torch
import XCTest

final class RGBImageTests: XCTestCase {
    /// Fixtures written by scripts/golden/images.py with PIL.
    static let fixtures: [String: Tensor] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/images.safetensors")
        return (try? Safetensors.load(url)) ?? [:]
    }()

    private func image(_ name: String) throws -> RGBImage {
        let pixels = try XCTUnwrap(Self.fixtures["\(name).pixels"], "missing fixture \(name)")
        return RGBImage(width: pixels.size(1), height: pixels.size(0), pixels: pixels.toArray(UInt8.self))
    }

    func testJPEGQuality95SizeEqualsPIL() throws {
        for name in ["noise_16", "noise_odd", "gradient_64", "shapes_32"] {
            let expected = try XCTUnwrap(Self.fixtures["\(name).jpeg95_size"]).itemInt()
            XCTAssertEqual(try image(name).jpegData(quality: 95).count, expected, name)
        }
    }

    func testJPEGDecodeMatchesPIL() throws {
        for name in ["noise_16", "gradient_64"] {
            let decoded = try RGBImage(jpegData: image(name).jpegData(quality: 95))
            let expected = try XCTUnwrap(Self.fixtures["\(name).jpeg95_decoded"]).toArray(UInt8.self)
            XCTAssertEqual(decoded.pixels, expected, name)
        }
    }

    func testPNGRoundTripIsExact() throws {
        let original = try image("noise_odd")
        let back = try RGBImage(pngData: original.pngData())
        XCTAssertEqual(back, original)
    }

    func testCorruptDataIsAnErrorNotACrash() {
        XCTAssertThrowsError(try RGBImage(pngData: [1, 2, 3, 4])) { XCTAssertTrue("\($0)".contains("png"), "\($0)") }
        XCTAssertThrowsError(try RGBImage(jpegData: [0xFF, 0xD8, 0xFF, 0x00, 1, 2])) {
            XCTAssertTrue("\($0)".contains("jpeg"), "\($0)")
        }
    }

    func testTensorConversionRoundsLikeDiffusers() {
        // Channels R = [0.5, 0.2], G = [1.5, -0.1], B = [0.998, 0]: 127.5 rounds half to even (128),
        // 254.49 rounds down, values outside [0, 1] clamp.
        let t = Tensor([0.5, 0.2, 1.5, -0.1, 0.998, 0.0] as [Float], shape: [3, 1, 2])
        let image = RGBImage(tensor: t)
        XCTAssertEqual(image.width, 2)
        XCTAssertEqual(image.height, 1)
        XCTAssertEqual(image.pixels, [128, 255, 254, 51, 0, 0])
    }

    func testWritePNGNamesTheFileOnFailure() {
        let url = URL(fileURLWithPath: "/nonexistent-dir/out.png")
        XCTAssertThrowsError(try RGBImage(width: 1, height: 1, pixels: [1, 2, 3]).writePNG(to: url)) { error in
            XCTAssertTrue("\(error)".contains(url.path), "\(error)")
        }
    }
}
