// ctorch: the C ABI over libtorch (ATen) that the Swift `Torch` module calls.
//
// Conventions (every function follows them):
// - Tensors and generators are opaque heap handles. A function returning a handle
//   returns a NEW handle the caller owns and frees exactly once with tt_tensor_free /
//   tt_generator_free.
// - No C++ exception ever crosses this boundary. Every body catches everything
//   (catch (...) included) and stores the message in a thread-local slot:
//   a function returning a handle returns NULL on failure, one returning int
//   returns non-zero (TT_ERROR), and tt_last_error() gives the message.
// - Devices are encoded as int: -1 is the CPU, n >= 0 is cuda:n.
// - dtypes use the tt_dtype codes below (not ATen's ScalarType numbering).
#ifndef CTORCH_H
#define CTORCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tt_tensor_s *tt_tensor;
typedef struct tt_generator_s *tt_generator;

enum { TT_OK = 0, TT_ERROR = 1 };

enum tt_dtype {
  TT_FLOAT32 = 0, TT_FLOAT16 = 1, TT_BFLOAT16 = 2, TT_INT64 = 3,
  TT_INT32 = 4, TT_BOOL = 5, TT_UINT8 = 6, TT_FLOAT64 = 7
};

enum tt_device { TT_CPU = -1 };

// ---- errors ---------------------------------------------------------------
const char *tt_last_error(void);   // message of the last failure on this thread
void tt_clear_error(void);

// ---- runtime --------------------------------------------------------------
const char *tt_version(void);      // libtorch version, e.g. "2.15.0"
int tt_set_num_threads(int n);
int tt_get_num_threads(void);
// Gives the calling thread libtorch's intra-op thread count (OpenMP keeps it per
// thread; a new thread would otherwise start with one thread per core).
void tt_init_thread(void);
int tt_set_num_interop_threads(int n);  // fails when called after the pool started
// libtorch_cuda.so is loaded at start from the folder of libtorch_cpu.so when it is
// there (cuda_loader.cpp); tt_cuda_load_error says why not otherwise.
bool tt_cuda_loaded(void);
const char *tt_cuda_load_error(void);  // "" once loaded
bool tt_cuda_is_available(void);
int tt_cuda_device_count(void);
int tt_cuda_synchronize(int device);

// ---- autocast (mixed precision) ----------------------------------------------
// Thread-local state for the device's type (CPU or CUDA). Swift's Autocast.run sets
// it for one scope and restores it; enter/exit count nested scopes (exit clears the
// cast cache when the outermost one ends) and return the new depth, -1 on failure.
bool tt_autocast_is_enabled(int device);
int tt_autocast_dtype(int device);  // tt_dtype the device type casts to
int tt_autocast_set(int device, bool enabled, int dtype);
int tt_autocast_enter_scope(void);
int tt_autocast_exit_scope(void);

// ---- lifetime and metadata --------------------------------------------------
void tt_tensor_free(tt_tensor t);
tt_tensor tt_undefined(void);                 // a handle to an undefined tensor
tt_tensor tt_tensor_alias(tt_tensor t);        // another handle to the same tensor
bool tt_tensor_defined(tt_tensor t);
int64_t tt_tensor_dim(tt_tensor t);
int tt_tensor_shape(tt_tensor t, int64_t *out); // writes dim() values
int64_t tt_tensor_numel(tt_tensor t);
int tt_tensor_dtype(tt_tensor t);              // tt_dtype, or -1 for others
int tt_tensor_device(tt_tensor t);
bool tt_tensor_is_contiguous(tt_tensor t);
const void *tt_tensor_data_ptr(tt_tensor t);   // NULL unless defined, CPU and contiguous
int tt_tensor_item_double(tt_tensor t, double *out);
int tt_tensor_item_int64(tt_tensor t, int64_t *out);
char *tt_tensor_description(tt_tensor t);     // caller frees with free()

// ---- creation ---------------------------------------------------------------
tt_tensor tt_empty(const int64_t *shape, int ndim, int dtype, int device);
tt_tensor tt_zeros(const int64_t *shape, int ndim, int dtype, int device);
tt_tensor tt_ones(const int64_t *shape, int ndim, int dtype, int device);
tt_tensor tt_full(const int64_t *shape, int ndim, double value, int dtype, int device);
tt_tensor tt_scalar_tensor(double value, int dtype, int device);
tt_tensor tt_arange(double start, double end, double step, int dtype, int device);
tt_tensor tt_linspace(double start, double end, int64_t steps, int dtype, int device);
// gen may be NULL: the default generator of the device is used.
tt_tensor tt_randn(const int64_t *shape, int ndim, int dtype, int device, tt_generator gen);
tt_tensor tt_rand(const int64_t *shape, int ndim, int dtype, int device, tt_generator gen);
tt_tensor tt_randint(int64_t low, int64_t high, const int64_t *shape, int ndim, int dtype,
                     int device, tt_generator gen);
tt_tensor tt_randperm(int64_t n, int device, tt_generator gen);
// Copies nbytes from data into a new CPU tensor.
tt_tensor tt_from_data(const void *data, size_t nbytes, const int64_t *shape, int ndim, int dtype);
// Wraps external CPU memory without copying; deleter(context) runs when the last
// tensor using the memory is freed.
tt_tensor tt_from_external(void *data, const int64_t *shape, int ndim, int dtype,
                           void (*deleter)(void *), void *context);
// Copies a tensor's values (any device, any layout) into out, which holds nbytes.
int tt_copy_to_buffer(tt_tensor t, void *out, size_t nbytes);

// ---- element-wise ---------------------------------------------------------
enum tt_unary_op {
  TT_NEG, TT_EXP, TT_LOG, TT_SQRT, TT_RSQRT, TT_ABS, TT_SIGMOID, TT_SILU, TT_RELU, TT_TANH,
  TT_GELU, TT_GELU_TANH, TT_SIN, TT_COS, TT_FLOOR, TT_CEIL, TT_ROUND, TT_SIGN, TT_SQUARE,
  TT_RECIPROCAL, TT_LOGICAL_NOT, TT_ISNAN, TT_ISFINITE, TT_ERF, TT_LOG1P, TT_EXPM1
};
tt_tensor tt_unary(int op, tt_tensor x);

enum tt_binary_op {
  TT_ADD, TT_SUB, TT_MUL, TT_DIV, TT_POW, TT_MAXIMUM, TT_MINIMUM, TT_REMAINDER,
  TT_EQ, TT_NE, TT_LT, TT_LE, TT_GT, TT_GE, TT_LOGICAL_AND, TT_LOGICAL_OR, TT_ATAN2
};
tt_tensor tt_binary(int op, tt_tensor a, tt_tensor b);
// A Swift/Python number on one side, with PyTorch's wrapped-number type promotion.
// integral: the number is a Swift Int (an int tensor stays int, as in Python).
tt_tensor tt_binary_scalar(int op, tt_tensor a, double s, bool integral, bool scalar_on_left);
// x ** exponent with a number exponent (PyTorch's pow(Tensor, Scalar): 2 squares, 0.5 is sqrt).
tt_tensor tt_pow_scalar(tt_tensor x, double exponent);
tt_tensor tt_where(tt_tensor cond, tt_tensor a, tt_tensor b);
tt_tensor tt_clamp(tt_tensor x, double min, double max, bool has_min, bool has_max);
tt_tensor tt_lerp(tt_tensor a, tt_tensor b, double weight);

// ---- reductions -------------------------------------------------------------
enum tt_reduce_op { TT_SUM, TT_MEAN, TT_AMAX, TT_AMIN, TT_PROD, TT_ALL, TT_ANY, TT_LOGSUMEXP, TT_NORM2 };
// ndims == 0 reduces over every dimension.
tt_tensor tt_reduce(int op, tt_tensor x, const int64_t *dims, int ndims, bool keepdim);
// Variance (or standard deviation when std is true) with the given correction.
tt_tensor tt_var(tt_tensor x, const int64_t *dims, int ndims, double correction, bool keepdim, bool std);
// max/min along one dim: values and int64 indices.
int tt_max_dim(tt_tensor x, int64_t dim, bool keepdim, bool is_min, tt_tensor *values, tt_tensor *indices);
tt_tensor tt_argmax(tt_tensor x, int64_t dim, bool has_dim, bool keepdim, bool is_min);
tt_tensor tt_cumsum(tt_tensor x, int64_t dim);
tt_tensor tt_cumprod(tt_tensor x, int64_t dim);
int tt_sort(tt_tensor x, int64_t dim, bool descending, tt_tensor *values, tt_tensor *indices);

// ---- linear algebra and neural-network ops ----------------------------------
tt_tensor tt_matmul(tt_tensor a, tt_tensor b);
tt_tensor tt_bmm(tt_tensor a, tt_tensor b);
tt_tensor tt_baddbmm(tt_tensor input, tt_tensor b1, tt_tensor b2, double beta, double alpha);
tt_tensor tt_linear(tt_tensor x, tt_tensor weight, tt_tensor bias /* nullable */);
tt_tensor tt_conv2d(tt_tensor x, tt_tensor weight, tt_tensor bias /* nullable */,
                    const int64_t stride[2], const int64_t padding[2], const int64_t dilation[2],
                    int64_t groups);
tt_tensor tt_upsample_nearest2d(tt_tensor x, int64_t out_h, int64_t out_w);
tt_tensor tt_interpolate_bilinear(tt_tensor x, int64_t out_h, int64_t out_w, bool align_corners, bool antialias);
tt_tensor tt_interpolate_bicubic(tt_tensor x, int64_t out_h, int64_t out_w, bool align_corners, bool antialias);
tt_tensor tt_avg_pool2d(tt_tensor x, int64_t kernel, int64_t stride);
tt_tensor tt_constant_pad(tt_tensor x, const int64_t *pads, int npads, double value);
tt_tensor tt_group_norm(tt_tensor x, int64_t groups, tt_tensor w /* nullable */, tt_tensor b /* nullable */, double eps);
tt_tensor tt_layer_norm(tt_tensor x, const int64_t *normalized_shape, int n,
                        tt_tensor w /* nullable */, tt_tensor b /* nullable */, double eps);
tt_tensor tt_softmax(tt_tensor x, int64_t dim, bool log);
tt_tensor tt_scaled_dot_product_attention(tt_tensor q, tt_tensor k, tt_tensor v,
                                          tt_tensor mask /* nullable */, bool is_causal,
                                          double scale, bool has_scale);
tt_tensor tt_dropout(tt_tensor x, double p, bool train);
tt_tensor tt_embedding(tt_tensor weight, tt_tensor indices);

// ---- shape and indexing -----------------------------------------------------
tt_tensor tt_reshape(tt_tensor x, const int64_t *shape, int ndim);
tt_tensor tt_expand(tt_tensor x, const int64_t *shape, int ndim);
tt_tensor tt_permute(tt_tensor x, const int64_t *dims, int ndim);
tt_tensor tt_transpose(tt_tensor x, int64_t d0, int64_t d1);
tt_tensor tt_unsqueeze(tt_tensor x, int64_t dim);
tt_tensor tt_squeeze(tt_tensor x, int64_t dim, bool all);
tt_tensor tt_slice(tt_tensor x, int64_t dim, int64_t start, int64_t end, int64_t step);
tt_tensor tt_select(tt_tensor x, int64_t dim, int64_t index);
tt_tensor tt_index_select(tt_tensor x, int64_t dim, tt_tensor index);
tt_tensor tt_gather(tt_tensor x, int64_t dim, tt_tensor index);
tt_tensor tt_masked_fill(tt_tensor x, tt_tensor mask, double value);
tt_tensor tt_cat(const tt_tensor *xs, int n, int64_t dim);
tt_tensor tt_stack(const tt_tensor *xs, int n, int64_t dim);
tt_tensor tt_repeat(tt_tensor x, const int64_t *repeats, int n);
tt_tensor tt_flip(tt_tensor x, const int64_t *dims, int n);
// Writes the pieces to out (capacity `chunks`) and their count to count.
int tt_chunk(tt_tensor x, int64_t chunks, int64_t dim, tt_tensor *out, int64_t *count);
// Writes n pieces of the given sizes to out.
int tt_split_with_sizes(tt_tensor x, const int64_t *sizes, int n, int64_t dim, tt_tensor *out);
tt_tensor tt_contiguous(tt_tensor x);
tt_tensor tt_clone(tt_tensor x);
// Moves/converts; copy forces a new tensor even when nothing changes.
tt_tensor tt_to(tt_tensor x, int dtype, int device, bool copy);
// The same bytes read as another dtype of the same element size (torch.Tensor.view(dtype)).
tt_tensor tt_view_dtype(tt_tensor x, int dtype);

// ---- in-place updates (under no-grad when the caller says so) ---------------
int tt_copy_(tt_tensor dst, tt_tensor src);
int tt_fill_(tt_tensor x, double value);
int tt_add_(tt_tensor x, tt_tensor other, double alpha);   // x += alpha * other
int tt_mul_scalar_(tt_tensor x, double s);

// ---- autograd ---------------------------------------------------------------
int tt_set_requires_grad(tt_tensor x, bool requires_grad);
bool tt_requires_grad(tt_tensor x);
bool tt_is_leaf(tt_tensor x);
int tt_backward(tt_tensor x, tt_tensor grad /* nullable */, bool retain_graph);
tt_tensor tt_grad(tt_tensor x);                  // an undefined tensor when there is none
int tt_set_grad(tt_tensor x, tt_tensor grad /* nullable: clears */);
tt_tensor tt_detach(tt_tensor x);
bool tt_grad_enabled(void);
void tt_set_grad_enabled(bool enabled);
// torch.autograd.grad: writes ninputs gradients (undefined where unused) to out.
int tt_autograd_grad(const tt_tensor *outputs, const tt_tensor *grad_outputs /* nullable entries */,
                     int noutputs, const tt_tensor *inputs, int ninputs, bool retain_graph,
                     tt_tensor *out);

// ---- gradient checkpointing (checkpoint.cpp) ----------------------------------
// The body of a checkpointed computation: it gets ninputs NEW handles (it owns and
// frees them) and returns a malloc'd array of *noutputs NEW handles, which the shim
// frees (the handles and the array); it must not fail (an undefined output is an error).
typedef tt_tensor *(*tt_checkpoint_body)(void *context, tt_tensor *inputs, int ninputs, int *noutputs);
// torch.utils.checkpoint on a custom autograd Function: runs body(inputs) without
// recording, keeping only the inputs and parameters; the backward runs body again on
// detached inputs with grad mode (and the forward's autocast settings) on, and returns
// torch.autograd.grad of its outputs with respect to the inputs and parameters that
// require grad. `parameters` are the trainable weights the body uses: inputs of the
// node, so their gradients reach backward() and autograd.grad alike. release(context)
// is called exactly once, when the graph no longer needs the body (or at once on
// failure). Writes a malloc'd array (freed by the caller with free()) of *noutputs new
// handles to *outputs.
int tt_checkpoint(tt_checkpoint_body body, void *context, void (*release)(void *context), const tt_tensor *inputs,
                  int ninputs, const tt_tensor *parameters, int nparameters, tt_tensor **outputs, int *noutputs);

// ---- random generators ------------------------------------------------------
void tt_manual_seed(uint64_t seed);             // every device's default generator
tt_generator tt_generator_new(uint64_t seed, int device);
tt_generator tt_generator_default(int device);  // handle to the device's default generator
void tt_generator_free(tt_generator g);
int tt_generator_set_seed(tt_generator g, uint64_t seed);
tt_tensor tt_generator_get_state(tt_generator g);   // uint8 tensor, torch's layout
int tt_generator_set_state(tt_generator g, tt_tensor state);

// ---- optimisation -----------------------------------------------------------
// One AdamW step (torch.optim.AdamW, single-tensor algorithm) on n parameters
// that have gradients; step is the step number after increment (1 on the first).
// Parameters without a gradient are skipped.
int tt_adamw_step(const tt_tensor *params, const tt_tensor *exp_avg, const tt_tensor *exp_avg_sq,
                  int n, int64_t step, double lr, double beta1, double beta2, double eps,
                  double weight_decay);
// torch.nn.utils.clip_grad_norm_ (2-norm, or infinity when norm_type is +inf);
// writes the total norm before clipping.
int tt_clip_grad_norm(const tt_tensor *params, int n, double max_norm, double norm_type,
                      double *total_norm);

// ---- distributed (c10d) -------------------------------------------------------
// A Gloo process group (PyTorch's c10d ProcessGroupGloo) over a TCPStore
// rendezvous: rank 0 hosts the store on master_addr:master_port, every rank connects
// to it. Collectives must be called in the same order on every rank; each one waits
// for completion for at most the group's timeout, and a failure (a peer that died,
// a timeout) sets tt_last_error to a message naming the collective and this rank.
// Tensors must be dense (a strided view goes through a contiguous copy), on the CPU,
// or on a GPU when libtorch_cuda.so is loaded (Gloo copies them through host memory).
typedef struct tt_process_group_s *tt_process_group;

enum tt_pg_reduce_op {
  TT_PG_SUM = 0, TT_PG_AVG = 1, TT_PG_PRODUCT = 2, TT_PG_MIN = 3, TT_PG_MAX = 4
};

// Blocks until all world_size ranks have joined (or timeout_ms passed: NULL).
// Ignores SIGPIPE when its disposition is the default (as Python does), so a peer
// that dies mid-send surfaces as an error instead of killing this process.
tt_process_group tt_process_group_gloo_create(const char *master_addr, int master_port, int rank,
                                              int world_size, int64_t timeout_ms);
// Waits for queued collectives to finish or time out, then closes the connections
// (and, on rank 0, the store).
void tt_process_group_free(tt_process_group pg);
int tt_pg_rank(tt_process_group pg);
int tt_pg_size(tt_process_group pg);
int tt_pg_allreduce(tt_process_group pg, tt_tensor t, int op);  // in place; tt_pg_reduce_op
int tt_pg_broadcast(tt_process_group pg, tt_tensor t, int root); // in place
// Writes world_size new handles: out[r] is rank r's tensor (same shape and dtype).
int tt_pg_allgather(tt_process_group pg, tt_tensor t, tt_tensor *out);
int tt_pg_barrier(tt_process_group pg);

#ifdef __cplusplus
}
#endif
#endif
