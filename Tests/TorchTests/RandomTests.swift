import Torch
import XCTest

/// Seeded random draws must reproduce PyTorch's EXACTLY (bit for bit), and generator
/// state must round-trip.
final class RandomTests: XCTestCase {
    func testRandnSeed42() throws {
        let g = Generator(seed: 42)
        assertBitwiseEqual(Tensor.randn([3, 4], generator: g), try fixture("randn_seed42.out"))
    }

    func testRandnSeed42LargeUsesVectorisedPathIdentically() throws {
        // 64 elements: libtorch switches to its batched normal sampler at 16 elements.
        let g = Generator(seed: 42)
        assertBitwiseEqual(Tensor.randn([4, 16], generator: g), try fixture("randn_seed42_large.out"))
    }

    func testRandSeed42() throws {
        let g = Generator(seed: 42)
        assertBitwiseEqual(Tensor.rand([3, 4], generator: g), try fixture("rand_seed42.out"))
    }

    func testRandintSeed42() throws {
        let g = Generator(seed: 42)
        let out = Tensor.randint(low: 0, high: 10, shape: [3, 4], generator: g)
        assertBitwiseEqual(out, try fixture("randint_seed42.out"))
    }

    func testGlobalSeed() throws {
        Runtime.manualSeed(7)
        assertBitwiseEqual(Tensor.randn([5]), try fixture("randn_global_seed7.out"))
        // Reseeding restarts the sequence.
        Runtime.manualSeed(7)
        assertBitwiseEqual(Tensor.randn([5]), try fixture("randn_global_seed7.out"), "after reseeding")
    }

    func testDefaultGeneratorIsTheGlobalOne() throws {
        Runtime.manualSeed(7)
        let g = Generator.defaultGenerator()
        assertBitwiseEqual(Tensor.randn([5], generator: g), try fixture("randn_global_seed7.out"))
    }

    func testTwoSuccessiveDrawsContinueTheSequence() throws {
        let g = Generator(seed: 42)
        let first = Tensor.randn([2, 3], generator: g)
        let second = Tensor.randn([4], generator: g)
        assertBitwiseEqual(first, try fixture("randn_seed42_two_draws.out0"), "first draw")
        assertBitwiseEqual(second, try fixture("randn_seed42_two_draws.out1"), "second draw")
    }

    func testReseedingAGeneratorRestartsIt() throws {
        let g = Generator(seed: 3)
        _ = Tensor.randn([7], generator: g)
        g.seed(42)
        assertBitwiseEqual(Tensor.randn([3, 4], generator: g), try fixture("randn_seed42.out"))
    }

    func testGeneratorStateBytesMatchTorch() throws {
        let state = Generator(seed: 42).state
        let expected = try fixture("generator_state_seed42.out")
        XCTAssertEqual(state.dtype, .uint8)
        XCTAssertEqual(state.shape, [5056])
        assertBitwiseEqual(state, expected)
    }

    func testSetStateThenDrawRepeatsTheDraw() throws {
        let g = Generator(seed: 123)
        _ = Tensor.randn([10], generator: g)  // advance to some mid-sequence state
        let saved = g.state
        let first = Tensor.randn([2, 8], generator: g)
        let firstUniform = Tensor.rand([3], generator: g)
        try g.setState(saved)
        let again = Tensor.randn([2, 8], generator: g)
        let againUniform = Tensor.rand([3], generator: g)
        assertBitwiseEqual(again, first, "randn after restoring the state")
        assertBitwiseEqual(againUniform, firstUniform, "rand after restoring the state")
    }

    func testStateIsASnapshotNotALiveView() throws {
        let g = Generator(seed: 42)
        let saved = g.state
        let savedBytes = saved.bytes()
        _ = Tensor.randn([100], generator: g)
        XCTAssertEqual(saved.bytes(), savedBytes, "drawing must not change an earlier state snapshot")
        XCTAssertNotEqual(g.state.bytes(), savedBytes, "drawing must advance the generator")
    }

    func testSetStateFromTorchStateReproducesTorchDraws() throws {
        let g = Generator(seed: 999)
        try g.setState(try fixture("generator_state_seed42.out"))
        assertBitwiseEqual(Tensor.randn([3, 4], generator: g), try fixture("randn_seed42.out"))
    }

    func testSetStateWithGarbageThrows() throws {
        let g = Generator(seed: 42)
        XCTAssertThrowsError(try g.setState(Tensor([UInt8](repeating: 7, count: 10)))) { error in
            XCTAssertTrue(error is TorchError, "expected a TorchError, got \(error)")
        }
        XCTAssertThrowsError(try g.setState(Tensor.zeros([5056], dtype: .float32)), "a float32 state")
        XCTAssertThrowsError(try g.setState(Tensor.zeros([5056 * 2], dtype: .uint8)), "a state of the wrong size")
        XCTAssertThrowsError(try g.setState(Tensor.zeros([5056], dtype: .uint8)), "an all-zero (unseeded) state")
        // The generator is still usable and unchanged by the failed calls.
        assertBitwiseEqual(Tensor.randn([3, 4], generator: g), try fixture("randn_seed42.out"))
    }
}
