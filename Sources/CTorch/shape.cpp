// Shape, indexing, concatenation, dtype/device moves and in-place updates.
#include "shim.h"

using ctorch::get;
using ctorch::wrap;

static at::IntArrayRef dims(const int64_t *values, int n) { return at::IntArrayRef(values, n); }

extern "C" {

tt_tensor tt_reshape(tt_tensor x, const int64_t *shape, int ndim) { TT_TENSOR(at::reshape(get(x), dims(shape, ndim))) }
tt_tensor tt_expand(tt_tensor x, const int64_t *shape, int ndim) { TT_TENSOR(get(x).expand(dims(shape, ndim))) }
tt_tensor tt_permute(tt_tensor x, const int64_t *d, int ndim) { TT_TENSOR(get(x).permute(dims(d, ndim))) }
tt_tensor tt_transpose(tt_tensor x, int64_t d0, int64_t d1) { TT_TENSOR(get(x).transpose(d0, d1)) }
tt_tensor tt_unsqueeze(tt_tensor x, int64_t dim) { TT_TENSOR(get(x).unsqueeze(dim)) }
tt_tensor tt_squeeze(tt_tensor x, int64_t dim, bool all) { TT_TENSOR(all ? get(x).squeeze() : get(x).squeeze(dim)) }
tt_tensor tt_slice(tt_tensor x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  TT_TENSOR(get(x).slice(dim, start, end, step))
}
tt_tensor tt_select(tt_tensor x, int64_t dim, int64_t index) { TT_TENSOR(get(x).select(dim, index)) }
tt_tensor tt_index_select(tt_tensor x, int64_t dim, tt_tensor index) { TT_TENSOR(at::index_select(get(x), dim, get(index))) }
tt_tensor tt_gather(tt_tensor x, int64_t dim, tt_tensor index) { TT_TENSOR(at::gather(get(x), dim, get(index))) }
tt_tensor tt_masked_fill(tt_tensor x, tt_tensor mask, double value) { TT_TENSOR(at::masked_fill(get(x), get(mask), value)) }
tt_tensor tt_cat(const tt_tensor *xs, int n, int64_t dim) { TT_TENSOR(at::cat(ctorch::tensors(xs, n), dim)) }
tt_tensor tt_stack(const tt_tensor *xs, int n, int64_t dim) { TT_TENSOR(at::stack(ctorch::tensors(xs, n), dim)) }
tt_tensor tt_repeat(tt_tensor x, const int64_t *repeats, int n) { TT_TENSOR(get(x).repeat(dims(repeats, n))) }
tt_tensor tt_flip(tt_tensor x, const int64_t *d, int n) { TT_TENSOR(at::flip(get(x), dims(d, n))) }

int tt_chunk(tt_tensor x, int64_t chunks, int64_t dim, tt_tensor *out, int64_t *count) {
  TT_STATUS(
    auto pieces = at::chunk(get(x), chunks, dim);
    if (static_cast<int64_t>(pieces.size()) > chunks) throw std::logic_error("chunk returned too many pieces");
    for (size_t i = 0; i < pieces.size(); i++) out[i] = wrap(pieces[i]);
    *count = static_cast<int64_t>(pieces.size());)
}

int tt_split_with_sizes(tt_tensor x, const int64_t *sizes, int n, int64_t dim, tt_tensor *out) {
  TT_STATUS(
    auto pieces = at::split_with_sizes(get(x), dims(sizes, n), dim);
    for (size_t i = 0; i < pieces.size(); i++) out[i] = wrap(pieces[i]);)
}

tt_tensor tt_contiguous(tt_tensor x) { TT_TENSOR(get(x).contiguous()) }
tt_tensor tt_view_dtype(tt_tensor x, int dtype) { TT_TENSOR(get(x).view(ctorch::scalar_type(dtype))) }
tt_tensor tt_clone(tt_tensor x) { TT_TENSOR(get(x).clone()) }
tt_tensor tt_to(tt_tensor x, int dtype, int device, bool copy) {
  TT_TENSOR(get(x).to(ctorch::options(dtype, device), /*non_blocking=*/false, copy))
}

int tt_copy_(tt_tensor dst, tt_tensor src) { TT_STATUS(get(dst); dst->t.copy_(get(src));) }
int tt_fill_(tt_tensor x, double value) { TT_STATUS(get(x); x->t.fill_(value);) }
int tt_add_(tt_tensor x, tt_tensor other, double alpha) { TT_STATUS(get(x); x->t.add_(get(other), alpha);) }
int tt_mul_scalar_(tt_tensor x, double s) { TT_STATUS(get(x); x->t.mul_(s);) }

}  // extern "C"
