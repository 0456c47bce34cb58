// Linear algebra and neural-network ops.
#include "shim.h"

using ctorch::get;
using ctorch::optional_tensor;
using ctorch::wrap;

extern "C" {

tt_tensor tt_matmul(tt_tensor a, tt_tensor b) { TT_TENSOR(at::matmul(get(a), get(b))) }
tt_tensor tt_bmm(tt_tensor a, tt_tensor b) { TT_TENSOR(at::bmm(get(a), get(b))) }
tt_tensor tt_baddbmm(tt_tensor input, tt_tensor b1, tt_tensor b2, double beta, double alpha) {
  TT_TENSOR(at::baddbmm(get(input), get(b1), get(b2), beta, alpha))
}
tt_tensor tt_linear(tt_tensor x, tt_tensor weight, tt_tensor bias) {
  TT_TENSOR(at::linear(get(x), get(weight), optional_tensor(bias)))
}
tt_tensor tt_conv2d(tt_tensor x, tt_tensor weight, tt_tensor bias, const int64_t stride[2],
                    const int64_t padding[2], const int64_t dilation[2], int64_t groups) {
  TT_TENSOR(at::conv2d(get(x), get(weight), optional_tensor(bias), at::IntArrayRef(stride, 2),
                       at::IntArrayRef(padding, 2), at::IntArrayRef(dilation, 2), groups))
}
tt_tensor tt_upsample_nearest2d(tt_tensor x, int64_t out_h, int64_t out_w) {
  TT_TENSOR(at::upsample_nearest2d(get(x), {out_h, out_w}))
}
tt_tensor tt_interpolate_bilinear(tt_tensor x, int64_t out_h, int64_t out_w, bool align_corners, bool antialias) {
  TT_TENSOR(antialias ? at::_upsample_bilinear2d_aa(get(x), {out_h, out_w}, align_corners)
                      : at::upsample_bilinear2d(get(x), {out_h, out_w}, align_corners))
}
tt_tensor tt_interpolate_bicubic(tt_tensor x, int64_t out_h, int64_t out_w, bool align_corners, bool antialias) {
  TT_TENSOR(antialias ? at::_upsample_bicubic2d_aa(get(x), {out_h, out_w}, align_corners)
                      : at::upsample_bicubic2d(get(x), {out_h, out_w}, align_corners))
}
tt_tensor tt_avg_pool2d(tt_tensor x, int64_t kernel, int64_t stride) {
  TT_TENSOR(at::avg_pool2d(get(x), {kernel, kernel}, {stride, stride}))
}
tt_tensor tt_constant_pad(tt_tensor x, const int64_t *pads, int npads, double value) {
  TT_TENSOR(at::constant_pad_nd(get(x), at::IntArrayRef(pads, npads), value))
}
tt_tensor tt_group_norm(tt_tensor x, int64_t groups, tt_tensor w, tt_tensor b, double eps) {
  TT_TENSOR(at::group_norm(get(x), groups, optional_tensor(w), optional_tensor(b), eps))
}
tt_tensor tt_layer_norm(tt_tensor x, const int64_t *normalized_shape, int n, tt_tensor w, tt_tensor b,
                        double eps) {
  TT_TENSOR(at::layer_norm(get(x), at::IntArrayRef(normalized_shape, n), optional_tensor(w),
                           optional_tensor(b), eps))
}
tt_tensor tt_softmax(tt_tensor x, int64_t dim, bool log) {
  TT_TENSOR(log ? at::log_softmax(get(x), dim) : at::softmax(get(x), dim))
}
tt_tensor tt_scaled_dot_product_attention(tt_tensor q, tt_tensor k, tt_tensor v, tt_tensor mask, bool is_causal,
                                          double scale, bool has_scale) {
  TT_TENSOR(at::scaled_dot_product_attention(get(q), get(k), get(v), optional_tensor(mask), 0.0, is_causal,
                                             has_scale ? std::optional<double>(scale) : std::nullopt))
}
tt_tensor tt_dropout(tt_tensor x, double p, bool train) { TT_TENSOR(at::dropout(get(x), p, train)) }
tt_tensor tt_embedding(tt_tensor weight, tt_tensor indices) { TT_TENSOR(at::embedding(get(weight), get(indices))) }

}  // extern "C"
