// Errors, dtype/device codes, threads, devices.
#include "shim.h"

#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>

namespace ctorch {

static thread_local std::string last_error;

void set_error(const std::string &message) { last_error = message; }

at::ScalarType scalar_type(int dtype) {
  switch (dtype) {
    case TT_FLOAT32: return at::kFloat;
    case TT_FLOAT16: return at::kHalf;
    case TT_BFLOAT16: return at::kBFloat16;
    case TT_INT64: return at::kLong;
    case TT_INT32: return at::kInt;
    case TT_BOOL: return at::kBool;
    case TT_UINT8: return at::kByte;
    case TT_FLOAT64: return at::kDouble;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
}

int dtype_code(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return TT_FLOAT32;
    case at::kHalf: return TT_FLOAT16;
    case at::kBFloat16: return TT_BFLOAT16;
    case at::kLong: return TT_INT64;
    case at::kInt: return TT_INT32;
    case at::kBool: return TT_BOOL;
    case at::kByte: return TT_UINT8;
    case at::kDouble: return TT_FLOAT64;
    default: return -1;
  }
}

at::Device device(int code) {
  if (code < 0) return at::Device(at::kCPU);
  require_cuda();
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(code));
}

int device_code(const at::Device &d) {
  if (d.is_cpu()) return TT_CPU;
  if (d.is_cuda()) return d.has_index() ? d.index() : 0;
  throw std::invalid_argument("unsupported device " + d.str());
}

at::TensorOptions options(int dtype, int dev) {
  return at::TensorOptions().dtype(scalar_type(dtype)).device(device(dev));
}

}  // namespace ctorch

extern "C" {

const char *tt_last_error(void) { return ctorch::last_error.c_str(); }
void tt_clear_error(void) { ctorch::last_error.clear(); }

const char *tt_version(void) { return TORCH_VERSION; }

int tt_set_num_threads(int n) { TT_STATUS(at::set_num_threads(n);) }
int tt_get_num_threads(void) { TT_GUARD(-1, return at::get_num_threads();) }
void tt_init_thread(void) { at::init_num_threads(); }
int tt_set_num_interop_threads(int n) { TT_STATUS(at::set_num_interop_threads(n);) }

bool tt_cuda_is_available(void) { TT_GUARD(false, return at::hasCUDA() && at::detail::getCUDAHooks().deviceCount() > 0;) }
int tt_cuda_device_count(void) { TT_GUARD(0, return at::hasCUDA() ? at::detail::getCUDAHooks().deviceCount() : 0;) }
int tt_cuda_synchronize(int device) {
  TT_STATUS(at::detail::getCUDAHooks().deviceSynchronize(static_cast<c10::DeviceIndex>(device));)
}

}  // extern "C"
