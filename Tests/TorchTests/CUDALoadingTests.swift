import Torch
import XCTest

/// The shim loads libtorch_cuda.so at start from libtorch_cpu.so's folder. The
/// development libtorch (scripts/setup-libtorch without --cuda) has no CUDA library,
/// so these tests check the failure path: a clear error, and the CPU unaffected.
final class CUDALoadingTests: XCTestCase {
    private func skipWhenCUDAIsLoaded() throws {
        try XCTSkipIf(Device.isCUDALoaded, "this libtorch has CUDA support; the failure path cannot be seen here")
    }

    func testTheLoadErrorNamesThePathTried() throws {
        try skipWhenCUDAIsLoaded()
        let reason = try XCTUnwrap(Device.cudaLoadError)
        XCTAssertTrue(reason.contains("/libtorch_cuda.so"), reason)
        XCTAssertFalse(Device.isCUDAAvailable)
        XCTAssertEqual(Device.cudaDeviceCount, 0)
    }

    func testAskingForCUDAThrowsTheReason() throws {
        try skipWhenCUDAIsLoaded()
        XCTAssertNoThrow(try Device.cpu.checkAvailable())
        XCTAssertThrowsError(try Device.cuda(0).checkAvailable()) { error in
            XCTAssertTrue("\(error)".contains("CUDA support is not loaded"), "\(error)")
            XCTAssertTrue("\(error)".contains("libtorch_cuda.so"), "\(error)")
        }
        // A tensor op on cuda fails with the same reason instead of libtorch's generic one.
        XCTAssertThrowsError(try withTorchErrors { Tensor.zeros([2], device: .cuda(0)) }) { error in
            XCTAssertTrue("\(error)".contains("CUDA support is not loaded"), "\(error)")
        }
    }

    func testTheCPUIsUnaffected() {
        XCTAssertEqual((Tensor.ones([3]) + Tensor.ones([3])).sum().item(), 6)
    }
}
