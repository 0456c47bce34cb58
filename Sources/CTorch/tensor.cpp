// Tensor lifetime, metadata, creation and host copies.
#include "shim.h"

#include <cstring>
#include <sstream>

using ctorch::get;
using ctorch::options;
using ctorch::wrap;

static at::IntArrayRef dims(const int64_t *shape, int ndim) { return at::IntArrayRef(shape, ndim); }

extern "C" {

void tt_tensor_free(tt_tensor t) { delete t; }
tt_tensor tt_undefined(void) { TT_TENSOR(at::Tensor()) }
tt_tensor tt_tensor_alias(tt_tensor t) { TT_TENSOR(get(t)) }
bool tt_tensor_defined(tt_tensor t) { return t != nullptr && t->t.defined(); }
int64_t tt_tensor_dim(tt_tensor t) { TT_GUARD(-1, return get(t).dim();) }
int tt_tensor_shape(tt_tensor t, int64_t *out) {
  TT_STATUS(auto sizes = get(t).sizes(); std::copy(sizes.begin(), sizes.end(), out);)
}
int64_t tt_tensor_numel(tt_tensor t) { TT_GUARD(-1, return get(t).numel();) }
int tt_tensor_dtype(tt_tensor t) { TT_GUARD(-1, return ctorch::dtype_code(get(t).scalar_type());) }
int tt_tensor_device(tt_tensor t) { TT_GUARD(-2, return ctorch::device_code(get(t).device());) }
bool tt_tensor_is_contiguous(tt_tensor t) { TT_GUARD(false, return get(t).is_contiguous();) }
const void *tt_tensor_data_ptr(tt_tensor t) {
  TT_GUARD(nullptr,
    const auto &x = get(t);
    if (!x.defined() || !x.device().is_cpu() || !x.is_contiguous()) return nullptr;
    return x.const_data_ptr();)
}
int tt_tensor_item_double(tt_tensor t, double *out) { TT_STATUS(*out = get(t).item<double>();) }
int tt_tensor_item_int64(tt_tensor t, int64_t *out) { TT_STATUS(*out = get(t).item<int64_t>();) }
char *tt_tensor_description(tt_tensor t) {
  TT_GUARD(nullptr,
    std::ostringstream s;
    const auto &x = get(t);
    if (x.defined()) s << x; else s << "(undefined tensor)";
    return strdup(s.str().c_str());)
}

tt_tensor tt_empty(const int64_t *shape, int ndim, int dtype, int device) {
  TT_TENSOR(at::empty(dims(shape, ndim), options(dtype, device)))
}
tt_tensor tt_zeros(const int64_t *shape, int ndim, int dtype, int device) {
  TT_TENSOR(at::zeros(dims(shape, ndim), options(dtype, device)))
}
tt_tensor tt_ones(const int64_t *shape, int ndim, int dtype, int device) {
  TT_TENSOR(at::ones(dims(shape, ndim), options(dtype, device)))
}
tt_tensor tt_full(const int64_t *shape, int ndim, double value, int dtype, int device) {
  TT_TENSOR(at::full(dims(shape, ndim), value, options(dtype, device)))
}
tt_tensor tt_scalar_tensor(double value, int dtype, int device) {
  TT_TENSOR(at::scalar_tensor(value, options(dtype, device)))
}
tt_tensor tt_arange(double start, double end, double step, int dtype, int device) {
  TT_TENSOR(at::arange(start, end, step, options(dtype, device)))
}
tt_tensor tt_linspace(double start, double end, int64_t steps, int dtype, int device) {
  TT_TENSOR(at::linspace(start, end, steps, options(dtype, device)))
}
tt_tensor tt_randn(const int64_t *shape, int ndim, int dtype, int device, tt_generator gen) {
  TT_TENSOR(at::randn(dims(shape, ndim), ctorch::optional_generator(gen), options(dtype, device)))
}
tt_tensor tt_rand(const int64_t *shape, int ndim, int dtype, int device, tt_generator gen) {
  TT_TENSOR(at::rand(dims(shape, ndim), ctorch::optional_generator(gen), options(dtype, device)))
}
tt_tensor tt_randint(int64_t low, int64_t high, const int64_t *shape, int ndim, int dtype, int device,
                     tt_generator gen) {
  TT_TENSOR(at::randint(low, high, dims(shape, ndim), ctorch::optional_generator(gen), options(dtype, device)))
}
tt_tensor tt_randperm(int64_t n, int device, tt_generator gen) {
  TT_TENSOR(at::randperm(n, ctorch::optional_generator(gen), options(TT_INT64, device)))
}

tt_tensor tt_from_data(const void *data, size_t nbytes, const int64_t *shape, int ndim, int dtype) {
  TT_GUARD(nullptr,
    auto t = at::empty(dims(shape, ndim), options(dtype, TT_CPU));
    if (t.nbytes() != nbytes)
      throw std::invalid_argument("tt_from_data: " + std::to_string(nbytes) + " bytes given for a tensor of " +
                                  std::to_string(t.nbytes()) + " bytes");
    if (nbytes > 0) std::memcpy(t.mutable_data_ptr(), data, nbytes);
    return wrap(std::move(t));)
}

tt_tensor tt_from_external(void *data, const int64_t *shape, int ndim, int dtype, void (*deleter)(void *),
                           void *context) {
  TT_GUARD(nullptr,
    auto t = at::from_blob(
        data, dims(shape, ndim), [deleter, context](void *) { if (deleter) deleter(context); },
        options(dtype, TT_CPU));
    return wrap(std::move(t));)
}

int tt_copy_to_buffer(tt_tensor t, void *out, size_t nbytes) {
  TT_STATUS(
    auto c = get(t).detach().to(at::kCPU).contiguous();
    if (c.nbytes() != nbytes)
      throw std::invalid_argument("tt_copy_to_buffer: buffer of " + std::to_string(nbytes) +
                                  " bytes for a tensor of " + std::to_string(c.nbytes()) + " bytes");
    if (nbytes > 0) std::memcpy(out, c.const_data_ptr(), nbytes);)
}

}  // extern "C"
