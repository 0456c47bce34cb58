import Torch
import XCTest

/// Element types: conversions must round exactly as PyTorch does, and values must cross
/// the Swift/libtorch boundary unchanged in every dtype. All comparisons are exact.
final class DTypeTests: XCTestCase {
    // The literal lists of scripts/golden/torch_ops.py.
    static let f16Source: [Double] = [0.1, 1.0 / 3.0, -2.5, 1e-5, -3e-7, 65504.0, 1234.567, -0.0]
    static let bf16Source: [Double] = [0.1, 1.0 / 3.0, -2.5, 1e-5, 3e38, 1234.567, -7.0, 0.0]
    static let intSource: [Double] = [2.7, -1.5, 0.3, -0.7, 3.0, -2.0, 100.9, -100.9]
    static let float16Values: [Double] = [0.0, 1.0, -2.0, 0.5, 65504.0, 0x1p-14, 0x1p-24, -0.375]
    static let bfloat16Values: [Double] = [0.0, 1.0, -2.0, 0.5, 1.5, -0.375, 256.0, 0x1p-10]
    static let int32Values: [Int32] = [0, 1, -1, 2_147_483_647, -2_147_483_648, 123_456]
    static let uint8Values: [UInt8] = [0, 1, 127, 128, 255]
    static let boolValues: [Bool] = [true, false, false, true, true]
    static let int64Values: [Int64] = [0, -1, 1 << 40, -(1 << 62), 9_223_372_036_854_775_807]

    /// Python floats become float32 by rounding the double, as torch.tensor does.
    func float32(_ values: [Double]) -> [Float] { values.map { Float($0) } }

    // MARK: Conversions

    func testSourceTensorsBuiltFromSwiftArraysMatchTorch() throws {
        assertBitwiseEqual(Tensor(float32(Self.f16Source)), try fixture("to_float16.x"), "to_float16.x")
        assertBitwiseEqual(Tensor(float32(Self.bf16Source)), try fixture("to_bfloat16.x"), "to_bfloat16.x")
        assertBitwiseEqual(Tensor(float32(Self.intSource)), try fixture("to_int64.x"), "to_int64.x")
    }

    func testToFloat16RoundsLikeTorch() throws {
        let x = try fixture("to_float16.x")
        assertBitwiseEqual(x.to(dtype: .float16), try fixture("to_float16.out"))
    }

    func testToBFloat16RoundsLikeTorch() throws {
        let x = try fixture("to_bfloat16.x")
        assertBitwiseEqual(x.to(dtype: .bfloat16), try fixture("to_bfloat16.out"))
    }

    func testToInt64TruncatesTowardZero() throws {
        let x = try fixture("to_int64.x")
        let out = x.to(dtype: .int64)
        assertBitwiseEqual(out, try fixture("to_int64.out"))
        XCTAssertEqual(out.toArray(Int64.self), [2, -1, 0, 0, 3, -2, 100, -100])
    }

    func testToSameDTypeKeepsValues() throws {
        let x = try fixture("to_float16.x")
        assertBitwiseEqual(x.to(dtype: .float32), try fixture("to_float16.x"))
    }

    // MARK: Literal round trips

    func testFloat16Values() throws {
        let stored = try fixture("float16_values.out")
        XCTAssertEqual(stored.dtype, .float16)
        XCTAssertEqual(stored.shape, [2, 4])
        let literal = Self.float16Values.map { Float16($0) }
        XCTAssertEqual(stored.toArray(Float16.self).map(\.bitPattern), literal.map(\.bitPattern))
        XCTAssertEqual(stored.toArray(Double.self), Self.float16Values)
        assertBitwiseEqual(Tensor(literal, shape: [2, 4]), stored)
        // IEEE half bit patterns, little-endian, independently of libtorch.
        XCTAssertEqual(stored.bytes(), literal.flatMap { [UInt8($0.bitPattern & 0xff), UInt8($0.bitPattern >> 8)] })
    }

    func testBFloat16Values() throws {
        let stored = try fixture("bfloat16_values.out")
        XCTAssertEqual(stored.dtype, .bfloat16)
        XCTAssertEqual(stored.shape, [2, 4])
        XCTAssertEqual(stored.toArray(Float.self), float32(Self.bfloat16Values))
        XCTAssertEqual(stored.toArray(Double.self), Self.bfloat16Values)
        assertBitwiseEqual(Tensor(float32(Self.bfloat16Values), shape: [2, 4]).to(dtype: .bfloat16), stored)
        // bfloat16 is the upper half of the float32 pattern (all values are exact).
        let expectedBytes = float32(Self.bfloat16Values).flatMap { value -> [UInt8] in
            let high = UInt16(value.bitPattern >> 16)
            return [UInt8(high & 0xff), UInt8(high >> 8)]
        }
        XCTAssertEqual(stored.bytes(), expectedBytes)
    }

    func testInt32Values() throws {
        let stored = try fixture("int32_values.out")
        XCTAssertEqual(stored.dtype, .int32)
        XCTAssertEqual(stored.toArray(Int32.self), Self.int32Values)
        assertBitwiseEqual(Tensor(Self.int32Values), stored)
    }

    func testUInt8Values() throws {
        let stored = try fixture("uint8_values.out")
        XCTAssertEqual(stored.dtype, .uint8)
        XCTAssertEqual(stored.toArray(UInt8.self), Self.uint8Values)
        XCTAssertEqual(stored.bytes(), Self.uint8Values)
        assertBitwiseEqual(Tensor(Self.uint8Values), stored)
    }

    func testBoolValues() throws {
        let stored = try fixture("bool_values.out")
        XCTAssertEqual(stored.dtype, .bool)
        XCTAssertEqual(stored.toArray(Bool.self), Self.boolValues)
        XCTAssertEqual(stored.bytes(), Self.boolValues.map { $0 ? 1 : 0 })
        assertBitwiseEqual(Tensor(Self.boolValues), stored)
    }

    func testInt64ValuesIncludingExtremes() throws {
        let stored = try fixture("int64_values.out")
        XCTAssertEqual(stored.dtype, .int64)
        XCTAssertEqual(stored.toArray(Int64.self), Self.int64Values)
        XCTAssertEqual(stored.toArray(Int.self), Self.int64Values.map { Int($0) })
        assertBitwiseEqual(Tensor(Self.int64Values), stored)
        assertBitwiseEqual(Tensor(Self.int64Values.map { Int($0) }), stored)
        // Scalars must not pass through Double (2^63 - 1 is not a double).
        XCTAssertEqual(stored[4].itemInt(), Int.max)
        XCTAssertEqual(stored[3].itemInt(), -(1 << 62))
        XCTAssertEqual(stored[2].itemInt(), 1 << 40)
        XCTAssertEqual(stored[1].itemInt(), -1)
    }

    func testInt64ExtremesSurviveOps() throws {
        let extremes = Tensor([Int64.max, Int64.min, Int64.min + 1])
        XCTAssertEqual(extremes.clone().toArray(Int64.self), [Int64.max, Int64.min, Int64.min + 1])
        // Integer scalar arithmetic stays integral (an Int keeps an int64 tensor int64).
        let shifted = extremes - 1
        XCTAssertEqual(shifted.dtype, .int64)
        XCTAssertEqual(shifted[0].itemInt(), Int.max - 1)
        XCTAssertEqual(Tensor([Int64.max]).sum().itemInt(), Int.max)
    }

    func testFloat64RoundTrip() {
        let values: [Double] = [0.1, -1e300, .leastNonzeroMagnitude, .pi, -0.0]
        let t = Tensor(values)
        XCTAssertEqual(t.dtype, .float64)
        XCTAssertEqual(t.toArray(Double.self).map(\.bitPattern), values.map(\.bitPattern))
    }
}
