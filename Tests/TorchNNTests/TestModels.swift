import Torch
import TorchNN
import XCTest

/// An attention block named like diffusers' `Attention`: to_q/to_k/to_v and a
/// `to_out` list of a Linear and a Dropout.
final class TinyAttention: Module {
    @Child(key: "to_q") var toQ: Linear
    @Child(key: "to_k") var toK: Linear
    @Child(key: "to_v") var toV: Linear
    @Child(key: "to_out.0") var toOut: Linear
    @Child(key: "to_out.1") var outDropout: Dropout

    init(dimension: Int, generator: Generator? = nil) {
        super.init()
        toQ = Linear(dimension, dimension, bias: false, generator: generator)
        toK = Linear(dimension, dimension, bias: false, generator: generator)
        toV = Linear(dimension, dimension, bias: false, generator: generator)
        toOut = Linear(dimension, dimension, generator: generator)
        outDropout = Dropout(p: 0.5)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let q = toQ(x)
        let k = toK(x)
        let v = toV(x)
        return outDropout(toOut(scaledDotProductAttention(query: q, key: k, value: v)))
    }
}

final class TinyBlock: Module {
    @Child var norm: LayerNorm
    @Child var attn1: TinyAttention
    @Child(key: "proj_out") var projOut: Linear

    init(dimension: Int, generator: Generator? = nil) {
        super.init()
        norm = LayerNorm(dimension)
        attn1 = TinyAttention(dimension: dimension, generator: generator)
        projOut = Linear(dimension, dimension, generator: generator)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        projOut(x + attn1(norm(x)))
    }
}

/// Own parameters, an array child, a keyed child and absent optionals.
final class TinyModel: Module {
    @Parameter var scale: Tensor
    @Parameter var offset: Tensor?
    @Child var blocks: [TinyBlock]
    @Child(key: "conv_in") var convIn: Conv2d
    @Child var extra: Linear?

    init(dimension: Int = 4, blockCount: Int = 2, generator: Generator? = nil) {
        super.init()
        scale = Tensor.ones([dimension])
        blocks = (0..<blockCount).map { _ in TinyBlock(dimension: dimension, generator: generator) }
        convIn = Conv2d(3, dimension, kernelSize: 3, padding: 1, generator: generator)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x * scale
        for block in blocks { h = block(h) }
        return h
    }
}

/// The names `TinyModel(blockCount: 2)` must have, in order.
let tinyModelParameterNames: [String] = {
    var names = ["scale"]
    for block in 0..<2 {
        let b = "blocks.\(block)"
        names += [
            "\(b).norm.weight", "\(b).norm.bias",
            "\(b).attn1.to_q.weight", "\(b).attn1.to_k.weight", "\(b).attn1.to_v.weight",
            "\(b).attn1.to_out.0.weight", "\(b).attn1.to_out.0.bias",
            "\(b).proj_out.weight", "\(b).proj_out.bias"
        ]
    }
    names += ["conv_in.weight", "conv_in.bias"]
    return names
}()

/// The largest absolute difference between two tensors.
func maxDifference(_ a: Tensor, _ b: Tensor) -> Double {
    (a.to(dtype: .float64) - b.to(dtype: .float64)).abs().max().item()
}

func assertClose(
    _ a: Tensor, _ b: Tensor, tolerance: Double, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.shape, b.shape, "shapes differ. \(message)", file: file, line: line)
    guard a.shape == b.shape else { return }
    let difference = maxDifference(a, b)
    XCTAssertLessThanOrEqual(difference, tolerance, "max difference \(difference). \(message)", file: file, line: line)
}
