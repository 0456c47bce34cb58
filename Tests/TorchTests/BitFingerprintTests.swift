import Torch
import XCTest

/// `bitFingerprint` is what data-parallel ranks compare after every optimizer step:
/// it must see every bit, and nothing but the bits.
final class BitFingerprintTests: XCTestCase {
    private func tensors() -> [Tensor] {
        let generator = Generator(seed: 7)
        return [
            Tensor.randn([3, 5], generator: generator), Tensor.randn([17], dtype: .float64, generator: generator),
            Tensor([Int64(3), -4, 5]), Tensor.randn([4, 4], generator: generator).to(dtype: .bfloat16)
        ]
    }

    func testEqualBitsGiveEqualFingerprintsWhateverTheThreadCount() {
        let a = tensors()
        let b = tensors().map { $0.clone() }
        let saved = Runtime.threadCount
        defer { Runtime.threadCount = saved }
        Runtime.threadCount = 1
        let one = bitFingerprint(a)
        XCTAssertEqual(bitFingerprint(b), one)
        Runtime.threadCount = 2
        XCTAssertEqual(bitFingerprint(b), one)
    }

    func testOneFlippedLowBitChangesIt() throws {
        let reference = bitFingerprint(tensors())
        for index in 0..<4 {
            var changed = tensors()
            let flat = changed[index].contiguous()
            var bytes = flat.bytes()
            bytes[bytes.count / 2] ^= 1  // the lowest bit of a middle byte: a few ulps at most
            changed[index] = try bytes.withUnsafeBytes {
                try Tensor(bytes: $0, shape: flat.shape, dtype: flat.dtype)
            }
            XCTAssertNotEqual(bitFingerprint(changed), reference, "tensor \(index)")
        }
    }

    func testSwappedElementsOrTensorsOrShapesChangeIt() {
        let values = Tensor([Float(1), 2, 3, 4])
        XCTAssertNotEqual(bitFingerprint([values]), bitFingerprint([Tensor([Float(2), 1, 3, 4])]))
        XCTAssertNotEqual(bitFingerprint([values]), bitFingerprint([values.reshaped([2, 2])]))
        let a = Tensor([Float(1)])
        let b = Tensor([Float(2)])
        XCTAssertNotEqual(bitFingerprint([a, b]), bitFingerprint([b, a]))
        // -0.0 == 0.0 as numbers, not as bits.
        XCTAssertNotEqual(bitFingerprint([Tensor([Float(0)])]), bitFingerprint([Tensor([Float(-0.0)])]))
    }

    /// Large tensors are summed in chunks; extreme bit patterns (NaN, ±max) must not overflow into collisions.
    func testLargeAndExtremeTensors() {
        let large = Tensor.full([5_000_000], value: Double(Float.greatestFiniteMagnitude))
        let first = bitFingerprint([large])
        let other = large.clone()
        other.slice(dim: 0, 4_999_999..<5_000_000).fill(-Double(Float.greatestFiniteMagnitude))
        XCTAssertNotEqual(bitFingerprint([other]), first)
        XCTAssertEqual(bitFingerprint([large.clone()]), first)
    }
}
