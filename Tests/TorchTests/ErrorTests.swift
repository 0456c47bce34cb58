import Torch
import XCTest

/// Error reporting through `withTorchErrors`, and autograd mode switches and flags.
final class ErrorTests: XCTestCase {
    /// Runs `body` in a `withTorchErrors` scope and returns the `TorchError` it throws.
    func torchError<R>(_ body: () throws -> R, file: StaticString = #filePath, line: UInt = #line) -> TorchError? {
        do {
            _ = try withTorchErrors(body)
            XCTFail("expected a TorchError, but the scope finished normally", file: file, line: line)
        } catch let error as TorchError {
            return error
        } catch {
            XCTFail("expected a TorchError, got \(type(of: error)): \(error)", file: file, line: line)
        }
        return nil
    }

    // MARK: withTorchErrors

    func testAddShapeMismatchThrowsWithSizes() throws {
        let error = try XCTUnwrap(torchError { Tensor.zeros([2, 3]) + Tensor.zeros([4]) })
        XCTAssertEqual(error.operation, "add")
        XCTAssertTrue(
            error.message.contains("(3)") && error.message.contains("(4)"),
            "message should give both sizes: \(error.message)")
        XCTAssertFalse(error.message.contains("Exception raised from"), "backtrace leaked: \(error.message)")
    }

    func testMatmulShapeMismatchThrowsWithSizes() throws {
        let error = try XCTUnwrap(torchError { Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5])) })
        XCTAssertEqual(error.operation, "matmul")
        XCTAssertTrue(
            error.message.contains("2x3") && error.message.contains("4x5"),
            "message should give both shapes: \(error.message)")
    }

    func testConv2dChannelMismatchThrowsWithSizes() throws {
        let error = try XCTUnwrap(
            torchError {
                conv2d(Tensor.zeros([1, 3, 5, 5]), weight: Tensor.zeros([4, 2, 3, 3]), padding: 1)
            })
        XCTAssertEqual(error.operation, "conv2d")
        XCTAssertTrue(
            error.message.contains("[4, 2, 3, 3]") && error.message.contains("[1, 3, 5, 5]"),
            "message should give the weight and input shapes: \(error.message)")
    }

    func testFirstErrorIsTheOneReported() throws {
        let error = try XCTUnwrap(
            torchError { () -> Tensor in
                let broken = Tensor.zeros([2, 3]) + Tensor.zeros([4])  // fails first
                let dependent = broken.matmul(Tensor.zeros([5, 5]))  // fails on the undefined result
                _ = Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5]))  // fails independently
                _ = conv2d(Tensor.zeros([1, 3, 5, 5]), weight: Tensor.zeros([4, 2, 3, 3]))
                return dependent
            })
        XCTAssertEqual(error.operation, "add")
        XCTAssertTrue(error.message.contains("(3)") && error.message.contains("(4)"), error.message)
    }

    func testFailedOpInsideScopeReturnsUndefinedTensor() throws {
        var result: Tensor?
        XCTAssertThrowsError(try withTorchErrors { result = Tensor.zeros([2, 3]) + Tensor.zeros([4]) })
        XCTAssertEqual(result?.isDefined, false)
    }

    func testSuccessfulScopeReturnsTheValue() throws {
        let x = try fixture("add.x")
        let y = try fixture("add.y")
        let out = try withTorchErrors { x + y }
        assertClose(out, try fixture("add.out"))
    }

    func testOpsOutsideAnyScopeWorkAfterACaughtError() throws {
        XCTAssertThrowsError(try withTorchErrors { Tensor.zeros([2, 3]) + Tensor.zeros([4]) })
        let sum = Tensor([1, 2] as [Float]) + Tensor([3, 4] as [Float])
        XCTAssertEqual(sum.toArray(Float.self), [4, 6])
        // A later scope starts clean.
        let out = try withTorchErrors { Tensor([1, 2] as [Float]) * 3.0 }
        XCTAssertEqual(out.toArray(Float.self), [3, 6])
    }

    func testInnerScopeErrorDoesNotLeakIntoOuterScope() throws {
        let value = try withTorchErrors { () -> Tensor in
            let inner = try? withTorchErrors { Tensor.zeros([2, 3]) + Tensor.zeros([4]) }
            XCTAssertNil(inner)
            return Tensor([5] as [Float]) + 1.0
        }
        XCTAssertEqual(value.toArray(Float.self), [6])
    }

    func testErrorsThrownByTheBodyPropagate() {
        struct Marker: Error {}
        XCTAssertThrowsError(try withTorchErrors { () throws -> Void in throw Marker() }) { error in
            XCTAssertTrue(error is Marker, "got \(error)")
        }
    }

    func testBackwardOfNonScalarWithoutGradientThrows() throws {
        let x = try fixture("exp.x").requiringGrad()
        let error = try XCTUnwrap(torchError { x.exp().backward() })
        XCTAssertEqual(error.operation, "backward")
    }

    func testTurningRequiresGradOffOnNonLeafThrowsAndKeepsTheGraph() throws {
        // As PyTorch: "you can only change requires_grad flags of leaf variables".
        let x = try fixture("exp.x").requiringGrad()
        let y = x.exp()
        let error = try XCTUnwrap(torchError { y.requiresGrad = false })
        XCTAssertTrue(error.message.contains("leaf"), error.message)
        XCTAssertTrue(y.requiresGrad)
        y.backward(gradient: try fixture("exp.grad_out"))
        assertClose(try XCTUnwrap(x.grad), try fixture("exp.grad_x"))
    }

    func testRequiresGradOnIntegerTensorThrows() throws {
        let indices = Tensor([1, 2, 3] as [Int64])
        let error = try XCTUnwrap(torchError { indices.requiresGrad = true })
        XCTAssertTrue(error.message.contains("floating point"), error.message)
        XCTAssertFalse(indices.requiresGrad)
    }

    // MARK: Autograd switches and flags

    func testWithNoGradTurnsOffRecordingAndRestoresIt() throws {
        let x = try fixture("exp.x").requiringGrad()
        XCTAssertTrue(isGradEnabled)
        let y = withNoGrad { () -> Tensor in
            XCTAssertFalse(isGradEnabled)
            return x.exp()
        }
        XCTAssertFalse(y.requiresGrad, "ops under withNoGrad must not be recorded")
        XCTAssertTrue(isGradEnabled, "withNoGrad must restore recording")
        XCTAssertTrue(x.exp().requiresGrad)
    }

    func testWithNoGradRestoresAfterThrow() {
        struct Marker: Error {}
        XCTAssertThrowsError(try withNoGrad { () throws -> Void in throw Marker() })
        XCTAssertTrue(isGradEnabled)
    }

    func testWithGradInsideWithNoGradRecordsAndRestores() throws {
        let x = try fixture("exp.x").requiringGrad()
        withNoGrad {
            let recorded = withGrad { () -> Tensor in
                XCTAssertTrue(isGradEnabled)
                return x.exp()
            }
            XCTAssertTrue(recorded.requiresGrad)
            XCTAssertFalse(isGradEnabled, "withGrad must restore the enclosing no-grad mode")
        }
        XCTAssertTrue(isGradEnabled)
    }

    func testRequiresGradPropagates() throws {
        let x = try fixture("add.x")
        XCTAssertFalse(x.requiresGrad)
        XCTAssertTrue(x.isLeaf)
        x.requiresGrad = true
        XCTAssertTrue(x.requiresGrad)
        let constant = try fixture("add.y")
        XCTAssertFalse((constant * 2.0).requiresGrad, "no input requires grad")
        let y = x + constant
        XCTAssertTrue(y.requiresGrad, "one input requires grad")
        XCTAssertFalse(y.isLeaf)
        XCTAssertTrue((y.exp().sum() * 3.0).requiresGrad, "through a chain of ops")
        XCTAssertTrue(x.requiringGrad(false).requiresGrad == false)
    }

    func testDetachedStopsGradients() throws {
        // d/dx sum(stopgrad(x) * x) = x, not 2x.
        let x = try fixture("exp.x").requiringGrad()
        let d = x.detached()
        XCTAssertFalse(d.requiresGrad)
        XCTAssertTrue(d.isLeaf)
        (d * x).sum().backward()
        assertClose(try XCTUnwrap(x.grad), try fixture("exp.x"))
    }

    func testScalarBackwardNeedsNoGradient() throws {
        // sum(x) * g with a 0-dim g: d/dx = g everywhere, which is sum_all.grad_x.
        let x = try fixture("sum_all.x").requiringGrad()
        let gradOut = try fixture("sum_all.grad_out")
        (x.sum() * gradOut).backward()
        assertClose(try XCTUnwrap(x.grad), try fixture("sum_all.grad_x"))
    }

    func testZeroGradClears() throws {
        let x = try fixture("exp.x").requiringGrad()
        let gradOut = try fixture("exp.grad_out")
        XCTAssertNil(x.grad)
        x.exp().backward(gradient: gradOut)
        XCTAssertNotNil(x.grad)
        x.zeroGrad()
        XCTAssertNil(x.grad)
        // The next backward starts from nothing rather than accumulating.
        x.exp().backward(gradient: gradOut)
        assertClose(try XCTUnwrap(x.grad), try fixture("exp.grad_x"))
        x.grad = nil
        XCTAssertNil(x.grad)
    }
}
