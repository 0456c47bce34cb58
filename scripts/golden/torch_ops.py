"""Write golden fixtures for the Swift Torch op tests.

Output: Tests/TorchTests/Fixtures/torch_ops.safetensors (and nothing else).
Run:    scripts/golden/make-venv && scripts/golden/.venv/bin/python scripts/golden/torch_ops.py

Key scheme: "<case>.<name>"
  <case>.x, .y, .w, .b, .q, ...   inputs (float32 unless the case is about dtypes)
  <case>.out                      forward output
  <case>.out0, .out1, ...         ops with several outputs (chunk, split, two draws)
  <case>.indices / .index / .cond / .mask   integer, bool or non-differentiated inputs/outputs
  <case>.grad_out                 random upstream gradient, same shape as .out
  <case>.grad_<input>             d/d<input> of (out * grad_out).sum(), for every float input
                                  (except sdpa_mask.mask), e.g. conv2d.grad_w
Scalar hyper-parameters are not stored; they are fixed in the table below.
Scalar results (min_all, sum_all, mean_all) have shape [] (0-dim), as torch returns them.
The file carries __metadata__ {"generator": <this script>, "torch": <version>}.
Everything is deterministic: rerunning gives a byte-identical file.
"""

# Hyper-parameter table (shapes are of the stored inputs):
#
# case                 | op / parameters
# ---------------------+--------------------------------------------------------------
# add sub mul div      | x [2,3,4] (op) y [3,1] broadcasting; div: y = 0.5 + rand
# pow                  | x [2,3,4] = 0.5 + rand, y [3,1] tensor exponent: x ** y
# pow_scalar           | x [2,3,4] = 0.5 + rand, exponent 2.5
# neg exp abs sigmoid  | x [2,3,4]
# log sqrt             | x [2,3,4] = 0.1 + 2 * rand (positive)
# clamp                | min=-0.5, max=0.7
# where                | torch.where(cond, x, y), all [2,3,4]
# gt eq                | x > y, x == y ([2,3,4], out bool; eq has 8 equal entries)
# sum_dim1             | x.sum(dim=1)
# mean_dims02          | x.mean(dim=[0,2], keepdim=True)
# var_dim2             | x.var(dim=2, correction=1)
# std_dim2_pop         | x.std(dim=2, correction=0)
# max_dim1             | x.max(dim=1): .out values, .indices int64
# min_all              | x.min() -> shape []
# argmax_dim2          | x.argmax(dim=2) int64
# sum_all mean_all     | x.sum(), x.mean() -> shape []
# matmul               | x [2,3,4] @ w [4,5]
# bmm                  | torch.bmm(x [2,3,4], y [2,4,5])
# baddbmm              | torch.baddbmm(input [2,3,5], b1 [2,3,4], b2 [2,4,5], beta=0.5, alpha=2.0)
# linear               | F.linear(x [3,4], w [5,4], b [5])
# conv2d               | x [2,3,5,5], w [4,3,3,3], b [4], stride=1, padding=1
# conv2d_stride2       | x [2,3,5,5], w [4,3,3,3], no bias, stride=2, padding=1
# conv2d_groups        | x [1,4,5,5], w [6,2,3,3], b [6], stride=1, padding=1, groups=2
# upsample_nearest2x   | F.interpolate(x [1,2,3,3], scale_factor=2.0, mode="nearest")
# group_norm           | F.group_norm(x [2,4,3,3], num_groups=2, w [4], b [4], eps=1e-5)
# layer_norm           | F.layer_norm(x [2,3,4], normalized_shape=[4], w [4], b [4], eps=1e-5)
# softmax_dim1         | x.softmax(dim=1)
# log_softmax_last     | x.log_softmax(dim=-1)
# silu gelu            | F.silu(x), F.gelu(x) (exact erf); x [2,3,4] = 2 * randn
# gelu_tanh            | F.gelu(x, approximate="tanh")
# quick_gelu           | x * sigmoid(1.702 * x)
# sdpa                 | F.scaled_dot_product_attention(q [2,2,4,8], k [2,2,5,8], v [2,2,5,8]),
#                      |   no mask, default scale 1/sqrt(8), dropout 0, not causal
# sdpa_scaled          | same, scale=0.3
# sdpa_mask            | same, attn_mask=mask [1,1,4,5] float additive (0 or -1e9), default scale
# cat_dim1             | torch.cat([x [2,3,4], y [2,2,4]], dim=1)
# stack_dim0           | torch.stack([x [2,3], y [2,3]], dim=0)
# permute              | x [2,3,4].permute(2, 0, 1)
# transpose_12         | x [2,3,4].transpose(1, 2)
# slice                | x [2,4,3][:, 1:3]           (dim 1, start 1, end 3)
# slice_step           | x [2,3,5][:, :, 0:4:2]      (dim 2, start 0, end 4, step 2)
# index_select         | x [2,3,4].index_select(1, index=[2,0,2])
# gather               | x [2,3,4].gather(2, index [2,3,2])
# chunk3_dim2          | x [2,3,6].chunk(3, dim=2) -> out0..out2 [2,3,2] (no grads)
# split_sizes          | x [2,5].split([2,3], dim=1) -> out0 [2,2], out1 [2,3] (no grads)
# reshape              | x [2,3,4].reshape(4, 6)
# to_float16           | x.to(float16), x = F16_SRC below
# to_bfloat16          | x.to(bfloat16), x = BF16_SRC below
# to_int64             | x.to(int64) (truncation toward zero), x = INT_SRC below
# *_values             | .out = the *_VALUES literal lists below, in their dtype;
#                      |   float16_values and bfloat16_values reshaped to [2,4], others 1-D
# randn_seed42         | torch.randn(3, 4, generator=torch.Generator().manual_seed(42))
# rand_seed42          | torch.rand(3, 4, generator=... manual_seed(42))
# randint_seed42       | torch.randint(0, 10, (3, 4), generator=... manual_seed(42)) int64
# randn_seed42_large   | torch.randn(4, 16, generator=... manual_seed(42))
# randn_global_seed7   | torch.manual_seed(7); torch.randn(5)
# randn_seed42_two_draws | g = Generator().manual_seed(42); out0 = randn(2,3, g); out1 = randn(4, g)
# generator_state_seed42 | torch.Generator().manual_seed(42).get_state() (uint8 [5056])
# adamw                | AdamW(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
#                      |   foreach=False); p0 [3,4]; step k: p.grad = g<k>, step() -> p<k+1>;
#                      |   exp_avg, exp_avg_sq after the 5th step
# clip_grad_norm       | clip_grad_norm_(max_norm=1.0, norm_type=2) over grads g0 [3], g1 [2,2],
#                      |   g2 [5] (total norm scaled to 3); clipped0..2, total_norm shape [1]

import json
import os
import struct

import torch
import torch.nn.functional as F
from safetensors.torch import save

# Source values for the to_* conversion cases, and the *_values literals (the latter are
# all exactly representable in their dtype).
F16_SRC = [0.1, 1 / 3, -2.5, 1e-5, -3e-7, 65504.0, 1234.567, -0.0]
BF16_SRC = [0.1, 1 / 3, -2.5, 1e-5, 3e38, 1234.567, -7.0, 0.0]
INT_SRC = [2.7, -1.5, 0.3, -0.7, 3.0, -2.0, 100.9, -100.9]
FLOAT16_VALUES = [0.0, 1.0, -2.0, 0.5, 65504.0, 2.0**-14, 2.0**-24, -0.375]
BFLOAT16_VALUES = [0.0, 1.0, -2.0, 0.5, 1.5, -0.375, 256.0, 2.0**-10]
INT32_VALUES = [0, 1, -1, 2147483647, -2147483648, 123456]
UINT8_VALUES = [0, 1, 127, 128, 255]
BOOL_VALUES = [True, False, False, True, True]
INT64_VALUES = [0, -1, 2**40, -(2**62), 9223372036854775807]

OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "..", "..", "Tests", "TorchTests", "Fixtures", "torch_ops.safetensors")

torch.manual_seed(0)
torch.set_num_threads(1)
G = torch.Generator().manual_seed(1234)  # every random input and upstream gradient
TENSORS = {}


def randn(*shape, scale=1.0):
    return torch.randn(shape, generator=G) * scale


def rand(*shape, lo=0.0, hi=1.0):
    return lo + (hi - lo) * torch.rand(shape, generator=G)


def store(case, **tensors):
    for name, t in tensors.items():
        key = f"{case}.{name}"
        assert key not in TENSORS, key
        TENSORS[key] = t.detach().contiguous().clone()


def case(name, fn, nograd=(), **inputs):
    """Store inputs and fn(*inputs) (positional, in the order given). fn returns a tensor
    (stored as .out) or a dict of named outputs. If .out is a differentiable float tensor,
    also store a random .grad_out and .grad_<input> for each float input not in nograd."""
    leaves = {k: v.clone().requires_grad_(True) if v.is_floating_point() and k not in nograd
              else v for k, v in inputs.items()}
    outs = fn(*leaves.values())  # positional, in keyword order
    if not isinstance(outs, dict):
        outs = {"out": outs}
    store(name, **inputs)
    store(name, **outs)
    out = outs.get("out")
    if out is not None and out.requires_grad:
        grad_out = randn(*out.shape)
        (out * grad_out).sum().backward()
        store(name, grad_out=grad_out,
              **{f"grad_{k}": v.grad for k, v in leaves.items() if v.requires_grad})


# --- elementwise / broadcasting -------------------------------------------------------
case("add", lambda x, y: x + y, x=randn(2, 3, 4), y=randn(3, 1))
case("sub", lambda x, y: x - y, x=randn(2, 3, 4), y=randn(3, 1))
case("mul", lambda x, y: x * y, x=randn(2, 3, 4), y=randn(3, 1))
case("div", lambda x, y: x / y, x=randn(2, 3, 4), y=rand(3, 1, lo=0.5, hi=1.5))
case("pow", lambda x, y: x ** y, x=rand(2, 3, 4, lo=0.5, hi=1.5), y=randn(3, 1))
case("pow_scalar", lambda x: x ** 2.5, x=rand(2, 3, 4, lo=0.5, hi=1.5))
case("neg", lambda x: -x, x=randn(2, 3, 4))
case("exp", torch.exp, x=randn(2, 3, 4))
case("log", torch.log, x=rand(2, 3, 4, lo=0.1, hi=2.1))
case("sqrt", torch.sqrt, x=rand(2, 3, 4, lo=0.1, hi=2.1))
case("abs", torch.abs, x=randn(2, 3, 4))
case("clamp", lambda x: x.clamp(min=-0.5, max=0.7), x=randn(2, 3, 4))
case("where", torch.where, cond=rand(2, 3, 4) > 0.5, x=randn(2, 3, 4), y=randn(2, 3, 4))
case("gt", lambda x, y: x > y, x=randn(2, 3, 4), y=randn(2, 3, 4))
eq_x, eq_y = randn(2, 3, 4), randn(2, 3, 4)
eq_y.view(-1)[::3] = eq_x.view(-1)[::3]  # 8 equal entries
case("eq", lambda x, y: x == y, x=eq_x, y=eq_y)

# --- reductions -----------------------------------------------------------------------
case("sum_dim1", lambda x: x.sum(dim=1), x=randn(2, 3, 4))
case("mean_dims02", lambda x: x.mean(dim=[0, 2], keepdim=True), x=randn(2, 3, 4))
case("var_dim2", lambda x: x.var(dim=2, correction=1), x=randn(2, 3, 4))
case("std_dim2_pop", lambda x: x.std(dim=2, correction=0), x=randn(2, 3, 4))
case("max_dim1", lambda x: dict(zip(("out", "indices"), x.max(dim=1))), x=randn(2, 3, 4))
case("min_all", lambda x: x.min(), x=randn(2, 3, 4))
case("argmax_dim2", lambda x: x.argmax(dim=2), x=randn(2, 3, 4))
case("sum_all", lambda x: x.sum(), x=randn(2, 3, 4))
case("mean_all", lambda x: x.mean(), x=randn(2, 3, 4))

# --- matrix products ------------------------------------------------------------------
case("matmul", lambda x, w: x @ w, x=randn(2, 3, 4), w=randn(4, 5))
case("bmm", torch.bmm, x=randn(2, 3, 4), y=randn(2, 4, 5))
case("baddbmm", lambda input, b1, b2: torch.baddbmm(input, b1, b2, beta=0.5, alpha=2.0),
     input=randn(2, 3, 5), b1=randn(2, 3, 4), b2=randn(2, 4, 5))
case("linear", F.linear, x=randn(3, 4), w=randn(5, 4), b=randn(5))

# --- convolution / resampling / normalisation -----------------------------------------
case("conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1),
     x=randn(2, 3, 5, 5), w=randn(4, 3, 3, 3, scale=0.3), b=randn(4))
case("conv2d_stride2", lambda x, w: F.conv2d(x, w, None, stride=2, padding=1),
     x=randn(2, 3, 5, 5), w=randn(4, 3, 3, 3, scale=0.3))
case("conv2d_groups", lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1, groups=2),
     x=randn(1, 4, 5, 5), w=randn(6, 2, 3, 3, scale=0.3), b=randn(6))
case("upsample_nearest2x", lambda x: F.interpolate(x, scale_factor=2.0, mode="nearest"),
     x=randn(1, 2, 3, 3))
case("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b, eps=1e-5),
     x=randn(2, 4, 3, 3), w=randn(4), b=randn(4))
case("layer_norm", lambda x, w, b: F.layer_norm(x, [4], w, b, eps=1e-5),
     x=randn(2, 3, 4), w=randn(4), b=randn(4))
case("softmax_dim1", lambda x: x.softmax(dim=1), x=randn(2, 3, 4))
case("log_softmax_last", lambda x: x.log_softmax(dim=-1), x=randn(2, 3, 4))

# --- activations ----------------------------------------------------------------------
case("silu", F.silu, x=randn(2, 3, 4, scale=2.0))
case("gelu", F.gelu, x=randn(2, 3, 4, scale=2.0))
case("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), x=randn(2, 3, 4, scale=2.0))
case("quick_gelu", lambda x: x * torch.sigmoid(1.702 * x), x=randn(2, 3, 4, scale=2.0))
case("sigmoid", torch.sigmoid, x=randn(2, 3, 4, scale=2.0))

# --- attention ------------------------------------------------------------------------
sdpa = F.scaled_dot_product_attention
case("sdpa", sdpa, q=randn(2, 2, 4, 8), k=randn(2, 2, 5, 8), v=randn(2, 2, 5, 8))
case("sdpa_scaled", lambda q, k, v: sdpa(q, k, v, scale=0.3),
     q=randn(2, 2, 4, 8), k=randn(2, 2, 5, 8), v=randn(2, 2, 5, 8))
mask = torch.zeros(1, 1, 4, 5)
mask[..., 0, 4] = mask[..., 1, 0] = mask[..., 1, 1] = mask[..., 3, 2] = -1e9
case("sdpa_mask", lambda q, k, v, mask: sdpa(q, k, v, attn_mask=mask), nograd=("mask",),
     q=randn(2, 2, 4, 8), k=randn(2, 2, 5, 8), v=randn(2, 2, 5, 8), mask=mask)

# --- shape ops ------------------------------------------------------------------------
case("cat_dim1", lambda x, y: torch.cat([x, y], dim=1), x=randn(2, 3, 4), y=randn(2, 2, 4))
case("stack_dim0", lambda x, y: torch.stack([x, y], dim=0), x=randn(2, 3), y=randn(2, 3))
case("permute", lambda x: x.permute(2, 0, 1), x=randn(2, 3, 4))
case("transpose_12", lambda x: x.transpose(1, 2), x=randn(2, 3, 4))
case("slice", lambda x: x[:, 1:3], x=randn(2, 4, 3))
case("slice_step", lambda x: x[:, :, 0:4:2], x=randn(2, 3, 5))
case("index_select", lambda x, index: x.index_select(1, index),
     x=randn(2, 3, 4), index=torch.tensor([2, 0, 2]))
case("gather", lambda x, index: x.gather(2, index),
     x=randn(2, 3, 4), index=torch.randint(0, 4, (2, 3, 2), generator=G))
case("chunk3_dim2", lambda x: {f"out{i}": c for i, c in enumerate(x.detach().chunk(3, dim=2))},
     x=randn(2, 3, 6))
case("split_sizes", lambda x: {f"out{i}": c for i, c in enumerate(x.detach().split([2, 3], dim=1))},
     x=randn(2, 5))
case("reshape", lambda x: x.reshape(4, 6), x=randn(2, 3, 4))

# --- dtypes ---------------------------------------------------------------------------
case("to_float16", lambda x: x.detach().to(torch.float16), x=torch.tensor(F16_SRC))
case("to_bfloat16", lambda x: x.detach().to(torch.bfloat16), x=torch.tensor(BF16_SRC))
case("to_int64", lambda x: x.detach().to(torch.int64), x=torch.tensor(INT_SRC))
store("float16_values", out=torch.tensor(FLOAT16_VALUES, dtype=torch.float16).reshape(2, 4))
store("bfloat16_values", out=torch.tensor(BFLOAT16_VALUES, dtype=torch.bfloat16).reshape(2, 4))
store("int32_values", out=torch.tensor(INT32_VALUES, dtype=torch.int32))
store("uint8_values", out=torch.tensor(UINT8_VALUES, dtype=torch.uint8))
store("bool_values", out=torch.tensor(BOOL_VALUES, dtype=torch.bool))
store("int64_values", out=torch.tensor(INT64_VALUES, dtype=torch.int64))

# --- random generators ----------------------------------------------------------------
def gen42():
    return torch.Generator().manual_seed(42)


store("randn_seed42", out=torch.randn(3, 4, generator=gen42()))
store("rand_seed42", out=torch.rand(3, 4, generator=gen42()))
store("randint_seed42", out=torch.randint(0, 10, (3, 4), generator=gen42()))
store("randn_seed42_large", out=torch.randn(4, 16, generator=gen42()))
torch.manual_seed(7)
store("randn_global_seed7", out=torch.randn(5))
g = gen42()
store("randn_seed42_two_draws", out0=torch.randn(2, 3, generator=g),
      out1=torch.randn(4, generator=g))
store("generator_state_seed42", out=gen42().get_state())

# --- optimiser ------------------------------------------------------------------------
p = torch.nn.Parameter(randn(3, 4))
store("adamw", p0=p)
opt = torch.optim.AdamW([p], lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                        foreach=False)
for k in range(5):
    grad = randn(3, 4)
    p.grad = grad.clone()
    opt.step()
    store("adamw", **{f"g{k}": grad, f"p{k + 1}": p})
state = opt.state[p]
store("adamw", exp_avg=state["exp_avg"], exp_avg_sq=state["exp_avg_sq"])

grads = [randn(3), randn(2, 2), randn(5)]
norm = torch.cat([g.flatten() for g in grads]).norm()
grads = [g * (3.0 / norm) for g in grads]
params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
for prm, g in zip(params, grads):
    prm.grad = g.clone()
total = torch.nn.utils.clip_grad_norm_(params, max_norm=1.0, norm_type=2)
store("clip_grad_norm", **{f"g{i}": g for i, g in enumerate(grads)},
      **{f"clipped{i}": prm.grad for i, prm in enumerate(params)}, total_norm=total.reshape(1))

# --- write ----------------------------------------------------------------------------
# safetensors writes its JSON header in hash-map order; re-emit it with sorted keys (same
# length, same data offsets) so that reruns produce a byte-identical file.
blob = save(TENSORS, metadata={"generator": "scripts/golden/torch_ops.py",
                               "torch": torch.__version__})
n = struct.unpack("<Q", blob[:8])[0]
header = json.dumps(json.loads(blob[8:8 + n]), sort_keys=True, separators=(",", ":")).encode()
assert len(header) <= n
os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
with open(OUT_PATH, "wb") as f:
    f.write(blob[:8] + header.ljust(n, b" ") + blob[8 + n:])
print(f"wrote {os.path.normpath(OUT_PATH)}: {len(TENSORS)} tensors, "
      f"{len({k.split('.')[0] for k in TENSORS})} cases, {os.path.getsize(OUT_PATH)} bytes")
