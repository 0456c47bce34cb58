// Element-wise ops and reductions.
#include "shim.h"

#include <cmath>

using ctorch::get;
using ctorch::wrap;

static at::Tensor unary(int op, const at::Tensor &x) {
  switch (op) {
    case TT_NEG: return at::neg(x);
    case TT_EXP: return at::exp(x);
    case TT_LOG: return at::log(x);
    case TT_SQRT: return at::sqrt(x);
    case TT_RSQRT: return at::rsqrt(x);
    case TT_ABS: return at::abs(x);
    case TT_SIGMOID: return at::sigmoid(x);
    case TT_SILU: return at::silu(x);
    case TT_RELU: return at::relu(x);
    case TT_TANH: return at::tanh(x);
    case TT_GELU: return at::gelu(x, "none");
    case TT_GELU_TANH: return at::gelu(x, "tanh");
    case TT_SIN: return at::sin(x);
    case TT_COS: return at::cos(x);
    case TT_FLOOR: return at::floor(x);
    case TT_CEIL: return at::ceil(x);
    case TT_ROUND: return at::round(x);
    case TT_SIGN: return at::sign(x);
    case TT_SQUARE: return at::square(x);
    case TT_RECIPROCAL: return at::reciprocal(x);
    case TT_LOGICAL_NOT: return at::logical_not(x);
    case TT_ISNAN: return at::isnan(x);
    case TT_ISFINITE: return at::isfinite(x);
    case TT_ERF: return at::erf(x);
    case TT_LOG1P: return at::log1p(x);
    case TT_EXPM1: return at::expm1(x);
  }
  throw std::invalid_argument("unknown unary op code " + std::to_string(op));
}

static at::Tensor binary(int op, const at::Tensor &a, const at::Tensor &b) {
  switch (op) {
    case TT_ADD: return at::add(a, b);
    case TT_SUB: return at::sub(a, b);
    case TT_MUL: return at::mul(a, b);
    case TT_DIV: return at::div(a, b);
    case TT_POW: return at::pow(a, b);
    case TT_MAXIMUM: return at::maximum(a, b);
    case TT_MINIMUM: return at::minimum(a, b);
    case TT_REMAINDER: return at::remainder(a, b);
    case TT_EQ: return at::eq(a, b);
    case TT_NE: return at::ne(a, b);
    case TT_LT: return at::lt(a, b);
    case TT_LE: return at::le(a, b);
    case TT_GT: return at::gt(a, b);
    case TT_GE: return at::ge(a, b);
    case TT_LOGICAL_AND: return at::logical_and(a, b);
    case TT_LOGICAL_OR: return at::logical_or(a, b);
    case TT_ATAN2: return at::atan2(a, b);
  }
  throw std::invalid_argument("unknown binary op code " + std::to_string(op));
}

// A number from the host, promoted the way PyTorch promotes a Python number.
static at::Tensor wrapped_number(double s, bool integral, const at::Device &device) {
  auto t = integral ? at::scalar_tensor(static_cast<int64_t>(s), at::TensorOptions().dtype(at::kLong))
                    : at::scalar_tensor(s, at::TensorOptions().dtype(at::kDouble));
  t.unsafeGetTensorImpl()->set_wrapped_number(true);
  return device.is_cpu() ? t : t.to(device);
}

static std::vector<int64_t> reduction_dims(const at::Tensor &x, const int64_t *dims, int ndims) {
  if (ndims > 0) return std::vector<int64_t>(dims, dims + ndims);
  std::vector<int64_t> all(x.dim());
  for (int64_t i = 0; i < x.dim(); i++) all[i] = i;
  return all;
}

extern "C" {

tt_tensor tt_unary(int op, tt_tensor x) { TT_TENSOR(unary(op, get(x))) }
tt_tensor tt_binary(int op, tt_tensor a, tt_tensor b) { TT_TENSOR(binary(op, get(a), get(b))) }
tt_tensor tt_binary_scalar(int op, tt_tensor a, double s, bool integral, bool scalar_on_left) {
  TT_GUARD(nullptr,
    const auto &x = get(a);
    // CPU wrapped numbers are allowed with CUDA tensors, as in PyTorch.
    auto n = wrapped_number(s, integral, at::Device(at::kCPU));
    return wrap(scalar_on_left ? binary(op, n, x) : binary(op, x, n));)
}
tt_tensor tt_pow_scalar(tt_tensor x, double exponent) {
  TT_GUARD(nullptr,
    // A whole exponent stays an integer Scalar, as Python passes `x ** 2`.
    if (std::floor(exponent) == exponent && std::fabs(exponent) < 1e15)
      return wrap(at::pow(get(x), at::Scalar(static_cast<int64_t>(exponent))));
    return wrap(at::pow(get(x), at::Scalar(exponent)));)
}
tt_tensor tt_where(tt_tensor cond, tt_tensor a, tt_tensor b) { TT_TENSOR(at::where(get(cond), get(a), get(b))) }
tt_tensor tt_clamp(tt_tensor x, double min, double max, bool has_min, bool has_max) {
  TT_GUARD(nullptr,
    const auto &t = get(x);
    // Whole-number bounds keep an integer tensor integral (a double Scalar would promote it).
    auto bound = [&](bool has, double v) -> std::optional<at::Scalar> {
      if (!has) return std::nullopt;
      if (!t.is_floating_point() && std::floor(v) == v) return at::Scalar(static_cast<int64_t>(v));
      return at::Scalar(v);
    };
    return wrap(at::clamp(t, bound(has_min, min), bound(has_max, max)));)
}
tt_tensor tt_lerp(tt_tensor a, tt_tensor b, double weight) { TT_TENSOR(at::lerp(get(a), get(b), weight)) }

tt_tensor tt_reduce(int op, tt_tensor xh, const int64_t *dims_ptr, int ndims, bool keepdim) {
  TT_GUARD(nullptr,
    const auto &x = get(xh);
    auto dims = reduction_dims(x, dims_ptr, ndims);
    switch (op) {
      case TT_SUM: return wrap(at::sum(x, dims, keepdim));
      case TT_MEAN: return wrap(at::mean(x, dims, keepdim));
      case TT_AMAX: return wrap(at::amax(x, dims, keepdim));
      case TT_AMIN: return wrap(at::amin(x, dims, keepdim));
      case TT_LOGSUMEXP: return wrap(at::logsumexp(x, dims, keepdim));
      case TT_NORM2: return wrap(at::linalg_vector_norm(x, 2, dims, keepdim));
      case TT_PROD:
      case TT_ALL:
      case TT_ANY: {
        // These take one dim at a time; reduce from the last dim so indices stay valid.
        std::vector<int64_t> sorted = dims;
        for (auto &d : sorted) d = at::maybe_wrap_dim(d, x.dim());
        std::sort(sorted.rbegin(), sorted.rend());
        at::Tensor r = x;
        if (x.dim() == 0) return wrap(op == TT_PROD ? at::prod(x) : op == TT_ALL ? at::all(x) : at::any(x));
        for (auto d : sorted)
          r = op == TT_PROD ? at::prod(r, d, keepdim) : op == TT_ALL ? at::all(r, d, keepdim) : at::any(r, d, keepdim);
        return wrap(r);
      }
    }
    throw std::invalid_argument("unknown reduction op code " + std::to_string(op));)
}

tt_tensor tt_var(tt_tensor x, const int64_t *dims_ptr, int ndims, double correction, bool keepdim, bool std) {
  TT_GUARD(nullptr,
    auto dims = reduction_dims(get(x), dims_ptr, ndims);
    auto r = std ? at::std(get(x), dims, at::Scalar(correction), keepdim)
                 : at::var(get(x), dims, at::Scalar(correction), keepdim);
    return wrap(r);)
}

int tt_max_dim(tt_tensor x, int64_t dim, bool keepdim, bool is_min, tt_tensor *values, tt_tensor *indices) {
  TT_STATUS(
    auto r = is_min ? at::min(get(x), dim, keepdim) : at::max(get(x), dim, keepdim);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));)
}

tt_tensor tt_argmax(tt_tensor x, int64_t dim, bool has_dim, bool keepdim, bool is_min) {
  TT_GUARD(nullptr,
    std::optional<int64_t> d = has_dim ? std::optional<int64_t>(dim) : std::nullopt;
    return wrap(is_min ? at::argmin(get(x), d, keepdim) : at::argmax(get(x), d, keepdim));)
}

tt_tensor tt_cumsum(tt_tensor x, int64_t dim) { TT_TENSOR(at::cumsum(get(x), dim)) }
tt_tensor tt_cumprod(tt_tensor x, int64_t dim) { TT_TENSOR(at::cumprod(get(x), dim)) }

int tt_sort(tt_tensor x, int64_t dim, bool descending, tt_tensor *values, tt_tensor *indices) {
  TT_STATUS(
    auto r = at::sort(get(x), dim, descending);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));)
}

}  // extern "C"
