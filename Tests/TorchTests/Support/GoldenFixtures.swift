import Foundation
import Torch
import XCTest

// Golden fixtures written by PyTorch (scripts/golden/torch_ops.py) and the helpers that
// compare our results with them. Keys are "<case>.<name>"; see the script's docstring
// and hyper-parameter table.

/// A fixture that cannot be found or read; thrown so that the test fails with its text.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

enum GoldenFixtures {
    static let fileName = "torch_ops.safetensors"

    /// Every tensor of the fixture file, read once on first use.
    static let tensors: Result<[String: Tensor], FixtureError> = {
        guard
            let url = Bundle.module.url(
                forResource: "torch_ops", withExtension: "safetensors",
                subdirectory: "Fixtures")
        else {
            return .failure(FixtureError(description: "Fixtures/\(fileName) is not in the test bundle"))
        }
        do {
            return .success(try Safetensors.load(url))
        } catch {
            return .failure(FixtureError(description: "cannot read \(url.path): \(error)"))
        }
    }()

    static func all() throws -> [String: Tensor] { try tensors.get() }
}

/// Whether the fixture file holds `key`.
func hasFixture(_ key: String) throws -> Bool {
    try GoldenFixtures.all()[key] != nil
}

/// The fixture tensor `key` ("<case>.<name>"), as a fresh copy that a test may modify
/// or mark as requiring gradients. Throws, naming the key, when the file lacks it.
func fixture(_ key: String) throws -> Tensor {
    let all = try GoldenFixtures.all()
    guard let tensor = all[key] else {
        let prefix = key.split(separator: ".").first.map { "\($0)." } ?? key
        let siblings = all.keys.filter { $0.hasPrefix(prefix) }.sorted()
        let hint = siblings.isEmpty ? "no key starts with '\(prefix)'" : "keys of this case: \(siblings)"
        throw FixtureError(description: "fixture '\(key)' is missing from \(GoldenFixtures.fileName) (\(hint))")
    }
    return tensor.clone()
}

/// Row-major flat index -> multi-index, for messages.
func multiIndex(_ flat: Int, shape: [Int]) -> [Int] {
    var rest = flat
    var index = [Int](repeating: 0, count: shape.count)
    for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] > 0 {
        index[d] = rest % shape[d]
        rest /= shape[d]
    }
    return index
}

private func prefix(_ message: String) -> String { message.isEmpty ? "" : "\(message): " }

/// Fails (and returns false) unless `actual` is defined and has `expected`'s shape and dtype.
private func haveSameLayout(
    _ actual: Tensor, _ expected: Tensor, _ label: String, file: StaticString,
    line: UInt
) -> Bool {
    guard actual.isDefined else {
        XCTFail("\(label)actual tensor is undefined", file: file, line: line)
        return false
    }
    guard actual.shape == expected.shape else {
        XCTFail("\(label)shape \(actual.shape) != expected \(expected.shape)", file: file, line: line)
        return false
    }
    guard actual.dtype == expected.dtype else {
        XCTFail("\(label)dtype \(actual.dtype) != expected \(expected.dtype)", file: file, line: line)
        return false
    }
    return true
}

/// Checks that `actual` has the shape and dtype of `expected` and that every element
/// satisfies |actual - expected| <= atol + rtol * |expected| (NaNs must match NaNs).
/// Values are compared as Doubles; a failure reports how many elements differ, the
/// largest absolute error and the first differing index.
func assertClose(
    _ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-5, atol: Double = 1e-6,
    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) {
    let label = prefix(message())
    guard haveSameLayout(actual, expected, label, file: file, line: line) else { return }
    let a = actual.toArray(Double.self)
    let e = expected.toArray(Double.self)
    guard a.count == e.count else {
        XCTFail("\(label)\(a.count) elements != expected \(e.count)", file: file, line: line)
        return
    }
    var maxError = 0.0
    var maxErrorIndex = 0
    var firstBad: Int?
    var badCount = 0
    for i in 0..<a.count {
        let (x, y) = (a[i], e[i])
        if x.isNaN || y.isNaN {
            if x.isNaN != y.isNaN {
                badCount += 1
                if firstBad == nil { firstBad = i }
            }
            continue
        }
        if x == y { continue }  // also equal infinities
        let error = Swift.abs(x - y)
        if error > maxError || error.isNaN {
            maxError = error
            maxErrorIndex = i
        }
        if !(error <= atol + rtol * Swift.abs(y)) {
            badCount += 1
            if firstBad == nil { firstBad = i }
        }
    }
    if let first = firstBad {
        let shape = expected.shape
        XCTFail(
            """
            \(label)\(badCount) of \(a.count) elements differ beyond rtol=\(rtol), atol=\(atol); \
            first at \(multiIndex(first, shape: shape)): actual \(a[first]), expected \(e[first]); \
            max abs error \(maxError) at \(multiIndex(maxErrorIndex, shape: shape)) \
            (actual \(a[maxErrorIndex]), expected \(e[maxErrorIndex]))
            """, file: file, line: line)
    }
}

/// Checks shape, dtype and every byte (so -0.0 differs from 0.0, and float results must
/// be bit-identical).
func assertBitwiseEqual(
    _ actual: Tensor, _ expected: Tensor, _ message: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    let label = prefix(message())
    guard haveSameLayout(actual, expected, label, file: file, line: line) else { return }
    let a = actual.bytes()
    let e = expected.bytes()
    guard a != e else { return }
    let size = expected.dtype.byteSize
    let count = a.count / size
    let differing = (0..<count).filter { a[($0 * size)..<(($0 + 1) * size)] != e[($0 * size)..<(($0 + 1) * size)] }
    let first = differing[0]
    let values = (actual.toArray(Double.self), expected.toArray(Double.self))
    XCTFail(
        """
        \(label)\(differing.count) of \(count) elements are not bit-identical; first at \
        \(multiIndex(first, shape: expected.shape)): actual \(values.0[first]) \
        (bytes \(Array(a[(first * size)..<((first + 1) * size)]))), expected \(values.1[first]) \
        (bytes \(Array(e[(first * size)..<((first + 1) * size)])))
        """, file: file, line: line)
}

/// Tolerances of one comparison.
struct Tolerance {
    var rtol: Double
    var atol: Double

    /// The default for float32 results.
    static let float32 = Tolerance(rtol: 1e-5, atol: 1e-6)

    static func relative(_ rtol: Double, absolute atol: Double) -> Tolerance { Tolerance(rtol: rtol, atol: atol) }
}

/// Runs the golden case `name`: loads "<name>.<input>" for each of `inputs` (in order),
/// makes every floating-point input not in `noGrad` a leaf that requires gradients,
/// applies `op`, and compares the result with "<name>.out". When `differentiable`,
/// back-propagates "<name>.grad_out" and compares each leaf's `.grad` with
/// "<name>.grad_<input>". Every gradient the fixture stores for the case must be
/// checked. Op failures (run inside `withTorchErrors`) and missing fixtures fail the
/// test at the caller's line instead of trapping.
func checkGoldenCase(
    _ name: String, inputs: [String], noGrad: Set<String> = [], differentiable: Bool = true,
    tolerance: Tolerance = .float32, gradTolerance: Tolerance = .float32,
    file: StaticString = #filePath, line: UInt = #line,
    _ op: ([Tensor]) -> Tensor
) {
    do {
        try runGoldenCase(
            name, inputs: inputs, noGrad: noGrad, differentiable: differentiable, tolerance: tolerance,
            gradTolerance: gradTolerance, file: file, line: line, op)
    } catch {
        XCTFail("\(name): \(error)", file: file, line: line)
    }
}

private func runGoldenCase(
    _ name: String, inputs: [String], noGrad: Set<String>, differentiable: Bool,
    tolerance: Tolerance, gradTolerance: Tolerance, file: StaticString, line: UInt,
    _ op: ([Tensor]) -> Tensor
) throws {
    var tensors: [Tensor] = []
    var leaves: [(name: String, tensor: Tensor)] = []
    for input in inputs {
        let t = try fixture("\(name).\(input)")
        if differentiable && t.dtype.isFloatingPoint && !noGrad.contains(input) {
            t.requiresGrad = true
            leaves.append((input, t))
        }
        tensors.append(t)
    }
    let expected = try fixture("\(name).out")
    let out = try withTorchErrors { op(tensors) }
    assertClose(out, expected, rtol: tolerance.rtol, atol: tolerance.atol, "\(name).out", file: file, line: line)

    // Every gradient the fixture stores for this case must be checked.
    let storedGrads = Set(
        try GoldenFixtures.all().keys.filter { $0.hasPrefix("\(name).grad_") && $0 != "\(name).grad_out" })
    let checkedGrads = Set(leaves.map { "\(name).grad_\($0.name)" })
    let unchecked = storedGrads.subtracting(checkedGrads).sorted()
    XCTAssertTrue(unchecked.isEmpty, "\(name): fixture gradients not checked: \(unchecked)", file: file, line: line)
    guard differentiable else { return }

    XCTAssertTrue(out.requiresGrad, "\(name).out does not require grad", file: file, line: line)
    guard out.requiresGrad else { return }
    let gradOut = try fixture("\(name).grad_out")
    try withTorchErrors { out.backward(gradient: gradOut) }
    for (input, leaf) in leaves {
        let expectedGrad = try fixture("\(name).grad_\(input)")
        guard let grad = leaf.grad else {
            XCTFail("\(name): no gradient reached input '\(input)'", file: file, line: line)
            continue
        }
        assertClose(
            grad, expectedGrad, rtol: gradTolerance.rtol, atol: gradTolerance.atol, "\(name).grad_\(input)",
            file: file, line: line)
    }
}

/// The fixture file itself: every case it holds must have a test here.
final class GoldenFixtureCoverageTests: XCTestCase {
    /// The cases the test files of this target check.
    static let testedCases: Set<String> = [
        // ArithmeticTests
        "add", "sub", "mul", "div", "pow", "pow_scalar", "neg", "exp", "log", "sqrt", "abs", "clamp", "where",
        "gt", "eq",
        // ReductionTests
        "sum_dim1", "mean_dims02", "var_dim2", "std_dim2_pop", "max_dim1", "min_all", "argmax_dim2", "sum_all",
        "mean_all",
        // LinearAlgebraTests
        "matmul", "bmm", "baddbmm", "linear",
        // NeuralNetworkOpTests
        "conv2d", "conv2d_stride2", "conv2d_groups", "upsample_nearest2x", "group_norm", "layer_norm",
        "softmax_dim1", "log_softmax_last", "silu", "gelu", "gelu_tanh", "quick_gelu", "sigmoid", "sdpa",
        "sdpa_scaled", "sdpa_mask",
        // ShapeOpTests
        "cat_dim1", "stack_dim0", "permute", "transpose_12", "slice", "slice_step", "index_select", "gather",
        "chunk3_dim2", "split_sizes", "reshape",
        // DTypeTests
        "to_float16", "to_bfloat16", "to_int64", "float16_values", "bfloat16_values", "int32_values",
        "uint8_values", "bool_values", "int64_values",
        // RandomTests
        "randn_seed42", "rand_seed42", "randint_seed42", "randn_seed42_large", "randn_global_seed7",
        "randn_seed42_two_draws", "generator_state_seed42",
        // OptimizerTests
        "adamw", "clip_grad_norm"
    ]

    func testEveryFixtureCaseIsTested() throws {
        let cases = Set(try GoldenFixtures.all().keys.map { String($0.prefix(while: { $0 != "." })) })
        XCTAssertEqual(cases.subtracting(Self.testedCases).sorted(), [], "fixture cases without a test")
        XCTAssertEqual(Self.testedCases.subtracting(cases).sorted(), [], "tested cases missing from the fixture")
    }
}
