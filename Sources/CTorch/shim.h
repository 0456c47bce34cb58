// Internal helpers shared by the shim's translation units (not part of the C API).
#pragma once

#if !__has_include(<ATen/ATen.h>)
#error "libtorch headers not found: run `scripts/setup-libtorch` (or `make setup`), or set LIBTORCH to an existing torch folder"
#endif

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <string>
#include <vector>

#include "ctorch.h"

struct tt_tensor_s {
  at::Tensor t;
};

struct tt_generator_s {
  at::Generator g;
};

namespace ctorch {

void set_error(const std::string &message);

inline tt_tensor wrap(at::Tensor t) { return new tt_tensor_s{std::move(t)}; }

// Reads a handle, failing with a clear message for NULL.
inline const at::Tensor &get(tt_tensor h) {
  if (h == nullptr) throw std::invalid_argument("null tensor handle");
  return h->t;
}

inline std::optional<at::Tensor> optional_tensor(tt_tensor h) {
  if (h == nullptr) return std::nullopt;
  return h->t;
}

inline std::optional<at::Generator> optional_generator(tt_generator g) {
  if (g == nullptr) return std::nullopt;
  return g->g;
}

at::ScalarType scalar_type(int dtype);
int dtype_code(at::ScalarType type);
// Throws naming the reason (the path tried, dlerror) when libtorch_cuda.so is not loaded.
void require_cuda();
at::Device device(int code);
int device_code(const at::Device &device);
at::TensorOptions options(int dtype, int device);

inline std::vector<at::Tensor> tensors(const tt_tensor *xs, int n) {
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (int i = 0; i < n; i++) out.push_back(get(xs[i]));
  return out;
}

}  // namespace ctorch

// Every exported body runs inside one of these: no exception ever leaves the shim.
#define TT_GUARD(fail_value, ...)                                   \
  try {                                                             \
    __VA_ARGS__                                                     \
  } catch (const c10::Error &e) {                                   \
    ctorch::set_error(e.what_without_backtrace());                  \
    return fail_value;                                              \
  } catch (const std::exception &e) {                               \
    ctorch::set_error(e.what());                                    \
    return fail_value;                                              \
  } catch (...) {                                                   \
    ctorch::set_error("unknown C++ exception in libtorch");         \
    return fail_value;                                              \
  }

#define TT_TENSOR(...) TT_GUARD(nullptr, return ctorch::wrap(__VA_ARGS__);)
#define TT_STATUS(...) TT_GUARD(TT_ERROR, __VA_ARGS__ return TT_OK;)
