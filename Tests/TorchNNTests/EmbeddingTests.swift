import Torch
import TorchNN
import XCTest

final class EmbeddingTests: XCTestCase {
    func testEmbeddingLooksUpRows() {
        let table = Embedding(count: 10, dimension: 3, generator: Generator(seed: 0))
        assertClose(table.weight, Tensor.randn([10, 3], generator: Generator(seed: 0)), tolerance: 0)
        let rows = table(Tensor([Int64(4), 0, 4], shape: [1, 3]))
        XCTAssertEqual(rows.shape, [1, 3, 3])
        XCTAssertEqual(rows[0][0].toArray(Float.self), table.weight[4].toArray(Float.self))
        XCTAssertEqual(rows[0][1].toArray(Float.self), table.weight[0].toArray(Float.self))
    }
}
