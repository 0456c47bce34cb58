import Torch
import XCTest

/// Joining, splitting, views and indexing against PyTorch, forward and backward.
final class ShapeOpTests: XCTestCase {
    func testCatAlongDim1() throws {
        checkGoldenCase("cat_dim1", inputs: ["x", "y"]) { Tensor.cat([$0[0], $0[1]], dim: 1) }
    }

    func testStackAlongDim0() throws {
        checkGoldenCase("stack_dim0", inputs: ["x", "y"]) { Tensor.stack([$0[0], $0[1]], dim: 0) }
    }

    func testPermute() throws {
        checkGoldenCase("permute", inputs: ["x"]) { $0[0].permuted([2, 0, 1]) }
    }

    func testPermuteIsAView() throws {
        let out = try fixture("permute.x").permuted([2, 0, 1])
        XCTAssertFalse(out.isContiguous)
        assertClose(out.contiguous(), try fixture("permute.out"))
        XCTAssertTrue(out.contiguous().isContiguous)
    }

    func testTranspose() throws {
        checkGoldenCase("transpose_12", inputs: ["x"]) { $0[0].transposed(1, 2) }
    }

    func testTransposeWithNegativeDims() throws {
        checkGoldenCase("transpose_12", inputs: ["x"]) { $0[0].transposed(-1, -2) }
    }

    func testSlice() throws {
        checkGoldenCase("slice", inputs: ["x"]) { $0[0].slice(dim: 1, start: 1, end: 3) }
    }

    func testSliceWithRange() throws {
        checkGoldenCase("slice", inputs: ["x"]) { $0[0].slice(dim: 1, 1..<3) }
    }

    func testSliceWithStep() throws {
        checkGoldenCase("slice_step", inputs: ["x"]) { $0[0].slice(dim: 2, start: 0, end: 4, step: 2) }
    }

    func testIndexSelect() throws {
        checkGoldenCase("index_select", inputs: ["x", "index"]) { $0[0].indexSelect(dim: 1, index: $0[1]) }
    }

    func testIndexSelectWithSwiftBuiltIndex() throws {
        // The index [2, 0, 2] from the script's table, built on our side.
        let x = try fixture("index_select.x")
        let index = Tensor([2, 0, 2] as [Int64])
        assertBitwiseEqual(index, try fixture("index_select.index"))
        assertClose(x.indexSelect(dim: 1, index: index), try fixture("index_select.out"))
    }

    func testGather() throws {
        checkGoldenCase("gather", inputs: ["x", "index"]) { $0[0].gather(dim: 2, index: $0[1]) }
    }

    func testChunk() throws {
        let x = try fixture("chunk3_dim2.x")
        let chunks = try withTorchErrors { x.chunked(3, dim: 2) }
        XCTAssertEqual(chunks.count, 3)
        for (i, chunk) in chunks.enumerated() {
            assertClose(chunk, try fixture("chunk3_dim2.out\(i)"), "chunk \(i)")
        }
    }

    func testSplitWithSizes() throws {
        let x = try fixture("split_sizes.x")
        let parts = try withTorchErrors { x.split(sizes: [2, 3], dim: 1) }
        XCTAssertEqual(parts.count, 2)
        for (i, part) in parts.enumerated() {
            assertClose(part, try fixture("split_sizes.out\(i)"), "part \(i)")
        }
    }

    func testSplitWithSizeLastPieceSmaller() throws {
        // split(size: 2) of a width-5 tensor gives widths 2, 2, 1; the first piece is out0.
        let x = try fixture("split_sizes.x")
        let parts = x.split(size: 2, dim: 1)
        XCTAssertEqual(parts.map { $0.shape }, [[2, 2], [2, 2], [2, 1]])
        assertClose(parts[0], try fixture("split_sizes.out0"))
        // The remaining pieces together are out1.
        assertClose(Tensor.cat([parts[1], parts[2]], dim: 1), try fixture("split_sizes.out1"))
    }

    func testReshape() throws {
        checkGoldenCase("reshape", inputs: ["x"]) { $0[0].reshaped([4, 6]) }
    }

    func testReshapeWithInferredDim() throws {
        checkGoldenCase("reshape", inputs: ["x"]) { $0[0].reshaped([-1, 6]) }
    }
}
