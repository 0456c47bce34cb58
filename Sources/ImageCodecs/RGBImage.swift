import CImageCodecs
import Files
import Foundation
import Torch

/// An 8-bit RGB image, rows top to bottom, pixels interleaved (R, G, B).
public struct RGBImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(
            pixels.count == width * height * 3,
            "RGBImage: \(pixels.count) bytes for \(width)x\(height) RGB")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Converts a [3, H, W] float tensor with values in [0, 1] the way diffusers'
    /// image processor does: clamp, times 255, round half to even, to uint8.
    public init(tensor: Tensor) {
        let shape = tensor.shape
        precondition(shape.count == 3 && shape[0] == 3, "RGBImage(tensor:): expected [3, H, W], got \(shape)")
        let bytes = withNoGrad {
            (tensor.detached().to(dtype: .float32).clamped(min: 0, max: 1) * 255).rounded()
                .permuted([1, 2, 0]).to(dtype: .uint8).contiguous()
        }
        self.init(width: shape[2], height: shape[1], pixels: bytes.toArray(UInt8.self))
    }

    /// The images of a [B, 3, H, W] batch with values in [-1, 1] (a VAE's output).
    public static func images(fromDecoded batch: Tensor) -> [RGBImage] {
        let unit = withNoGrad { (batch.detached() / 2.0 + 0.5).clamped(min: 0, max: 1) }
        return (0..<unit.size(0)).map { RGBImage(tensor: unit[$0]) }
    }

    /// [3, H, W] float32 values in [0, 1].
    public func tensor() -> Tensor {
        Tensor(pixels, shape: [height, width, 3]).permuted([2, 0, 1]).to(dtype: .float32) / 255.0
    }

    public func pngData() throws -> [UInt8] {
        try encode { out, size, error in ic_png_encode(pixels, Int32(width), Int32(height), 3, &out, &size, error) }
    }

    /// Baseline JPEG, 4:2:0 chroma subsampling, as PIL's `save(format="JPEG", quality=q)`.
    public func jpegData(quality: Int) throws -> [UInt8] {
        precondition((1...100).contains(quality), "RGBImage.jpegData: quality must be 1...100, got \(quality)")
        return try encode { out, size, error in
            ic_jpeg_encode_rgb(pixels, Int32(width), Int32(height), Int32(quality), &out, &size, error)
        }
    }

    public init(pngData data: [UInt8]) throws {
        self = try Self.decode(data) { ic_png_decode_rgb($0, $1, $2, $3, $4, $5) }
    }

    public init(jpegData data: [UInt8]) throws {
        self = try Self.decode(data) { ic_jpeg_decode_rgb($0, $1, $2, $3, $4, $5) }
    }

    /// Writes a PNG atomically; errors name the file.
    public func writePNG(to url: URL) throws {
        let data = try pngData()
        do {
            try AtomicFile.write(path: url.path, bytes: data)
        } catch let error as AtomicFile.WriteError {
            throw ImageCodecError(message: error.description)
        }
    }

    public init(contentsOfPNG url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageCodecError(message: "\(url.path): cannot read (\(error.localizedDescription))")
        }
        do {
            try self.init(pngData: Array(data))
        } catch let error as ImageCodecError {
            throw ImageCodecError(message: "\(url.path): \(error.message)")
        }
    }

    private func encode(_ body: (inout UnsafeMutablePointer<UInt8>?, inout Int, UnsafeMutablePointer<CChar>) -> Int32)
        throws -> [UInt8]
    {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var error = [CChar](repeating: 0, count: 256)
        let status = error.withUnsafeMutableBufferPointer { body(&out, &size, $0.baseAddress!) }
        guard status == 0, let out else { throw ImageCodecError(message: String(cString: error)) }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    private static func decode(
        _ data: [UInt8],
        _ body: (
            UnsafePointer<UInt8>, Int, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>,
            UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<CChar>
        ) -> Int32
    ) throws -> RGBImage {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0
        var height: Int32 = 0
        var error = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBufferPointer { input in
            error.withUnsafeMutableBufferPointer { message in
                body(input.baseAddress!, input.count, &pixels, &width, &height, message.baseAddress!)
            }
        }
        guard status == 0, let pixels else { throw ImageCodecError(message: String(cString: error)) }
        defer { free(pixels) }
        let count = Int(width) * Int(height) * 3
        return RGBImage(
            width: Int(width), height: Int(height), pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }
}

/// An image that cannot be encoded, decoded, read or written.
public struct ImageCodecError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { message }
}
