"""Write golden fixtures for the flow-matching scheduler and Flow-GRPO's SDE step.

Output: Tests/Fixtures/flow-match/schedules.json and Tests/Fixtures/flow-match/steps.safetensors.
Run:    scripts/golden/make-venv && scripts/golden/.venv/bin/python scripts/golden/flow_match.py

schedules.json: {"generator", "diffusers", "cases": [...]}, one case per (configuration, step
count): "name", "config" (the scheduler_config.json keys given to diffusers'
FlowMatchEulerDiscreteScheduler), "steps", "mu" (null without dynamic shifting),
"image_seq_len" (the latent patch count mu was computed from, null without), and what
set_timesteps(steps, mu=mu) left: "sigmas" (steps + 1 values, the last 0) and "timesteps"
(steps values), float32 values written as the shortest decimal that reads back as the same
double.

steps.safetensors (float32 unless noted):
  euler.latents      [5, 2, 2, 4, 4]  x before step 0 and after each of 4 diffusers Euler steps,
                                      SD3's scheduler (shift 3), the 4-step schedule
  euler.velocities   [4, 2, 2, 4, 4]  the model output given to step i
  euler_bf16.sample, euler_bf16.velocity (bfloat16), euler_bf16.out (bfloat16)
                                      one step (step 1 of 4) with a bfloat16 model output
  sde.velocity, sde.sample           [3, 2, 4, 4] v and x
  sde.reference_velocity             [3, 2, 4, 4] a second v, for the KL between two steps
  sde.sigma, sde.sigma_next          [3] each sample's noise levels, from SD3's 10-step schedule
                                      at steps 0 (sigma = 1), 4 and 9 (sigma_next = 0)
  sde.sigma_below_one                [1] that schedule's sigma_1
  sde.a<L>.*                         noise level L in {0.7, 1.0} ("a07", "a10"):
      .previous_sample               [3, 2, 4, 4] float32(mean + std * z), z ~ N(0, 1)
      .noise_scale, .std             [3] float64: a sqrt(sigma / (1 - sigma)), sigma = 1 replaced by
                                      sigma_below_one in the denominator; times sqrt(sigma - sigma_next)
      .mean                          [3, 2, 4, 4] float64
      .log_prob                      [3] float64, log N(previous_sample; mean, std^2) meaned over
                                      all non-batch dimensions
      .reference_mean                [3, 2, 4, 4] float64: the mean under sde.reference_velocity
      .kl_noise_scale, .kl_std       [3] float64: mean over non-batch dims of
                                      (mean - reference_mean)^2 / (2 s^2), s = noise_scale or std
The SDE references are written from the formulas in float64, not from any implementation.
Everything is deterministic: rerunning gives byte-identical files.
"""

import json
import math
import os
import struct

import diffusers
import torch
from diffusers import FlowMatchEulerDiscreteScheduler
from diffusers.pipelines.stable_diffusion_3.pipeline_stable_diffusion_3 import calculate_shift
from safetensors.torch import save

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Fixtures", "flow-match")

torch.set_num_threads(1)
G = torch.Generator().manual_seed(2025)
SD3 = {"num_train_timesteps": 1000, "shift": 3.0}
DYNAMIC = {"num_train_timesteps": 1000, "shift": 3.0, "use_dynamic_shifting": True,
           "base_shift": 0.5, "max_shift": 1.15, "base_image_seq_len": 256, "max_image_seq_len": 4096}


def randn(*shape):
    return torch.randn(shape, generator=G)


# --- schedules --------------------------------------------------------------------------

def schedule_case(name, config, steps, image_seq_len=None):
    scheduler = FlowMatchEulerDiscreteScheduler(**config)
    mu = None
    if image_seq_len is not None:
        c = scheduler.config
        mu = calculate_shift(image_seq_len, c.base_image_seq_len, c.max_image_seq_len, c.base_shift, c.max_shift)
    scheduler.set_timesteps(steps, mu=mu)
    assert scheduler.sigmas.dtype == torch.float32 and scheduler.timesteps.dtype == torch.float32
    assert scheduler.sigmas[-1].item() == 0.0
    return {"name": name, "config": config, "steps": steps, "mu": mu, "image_seq_len": image_seq_len,
            "sigmas": [float(s) for s in scheduler.sigmas.tolist()],
            "timesteps": [float(t) for t in scheduler.timesteps.tolist()]}


CASES = [schedule_case(f"sd3_{n}", SD3, n) for n in (1, 2, 3, 10, 28)]
CASES += [schedule_case(f"shift_{s}_10", {"num_train_timesteps": 1000, "shift": s}, 10)
          for s in (1.0, 0.5, 2.5, 3.1, 7.0)]
CASES += [schedule_case("train_500_shift_3_7", {"num_train_timesteps": 500, "shift": 3.0}, 7)]
CASES += [schedule_case(f"dynamic_{n}_10", DYNAMIC, 10, image_seq_len=n) for n in (1024, 4096)]
CASES += [schedule_case("dynamic_linear_1024_10", dict(DYNAMIC, time_shift_type="linear"), 10, image_seq_len=1024)]

# --- Euler steps ------------------------------------------------------------------------

TENSORS = {}
scheduler = FlowMatchEulerDiscreteScheduler(**SD3)
scheduler.set_timesteps(4)
latents = [randn(2, 2, 4, 4)]
velocities = []
for t in scheduler.timesteps:
    velocities.append(randn(2, 2, 4, 4))
    latents.append(scheduler.step(velocities[-1], t, latents[-1]).prev_sample)
TENSORS["euler.latents"] = torch.stack(latents)
TENSORS["euler.velocities"] = torch.stack(velocities)

scheduler.set_timesteps(4)
sample, velocity = randn(2, 2, 4, 4), randn(2, 2, 4, 4).to(torch.bfloat16)
scheduler.set_begin_index(1)
out = scheduler.step(velocity, scheduler.timesteps[1], sample).prev_sample
assert out.dtype == torch.bfloat16
TENSORS.update({"euler_bf16.sample": sample, "euler_bf16.velocity": velocity, "euler_bf16.out": out})

# --- Flow-GRPO's SDE step, float64 from the formulas --------------------------------------

scheduler.set_timesteps(10)
sigmas = scheduler.sigmas
indices = [0, 4, 9]
sigma = sigmas[indices].double()
sigma_next = sigmas[[i + 1 for i in indices]].double()
sigma_below_one = sigmas[1].double()
assert sigma[0].item() == 1.0 and sigma_next[2].item() == 0.0
velocity, sample, reference_velocity = randn(3, 2, 4, 4), randn(3, 2, 4, 4), randn(3, 2, 4, 4)
TENSORS.update({"sde.velocity": velocity, "sde.sample": sample, "sde.reference_velocity": reference_velocity,
                "sde.sigma": sigma.float(),
                "sde.sigma_next": sigma_next.float(), "sde.sigma_below_one": sigma_below_one.float().reshape(1)})


def column(t):
    return t.reshape(-1, 1, 1, 1)


def sde_mean(v, x, s, sig, dt):
    # dx = [v + s^2 / (2 sigma) (x + (1 - sigma) v)] dsigma, one Euler-Maruyama step of size dt < 0
    return x + (v + s ** 2 / (2 * sig) * (x + (1 - sig) * v)) * dt


for label, a in (("a07", 0.7), ("a10", 1.0)):
    sig, dt = column(sigma), column(sigma_next - sigma)
    noise_scale = a * torch.sqrt(sigma / (1 - torch.where(sigma == 1, sigma_below_one, sigma)))
    std = noise_scale * torch.sqrt(sigma - sigma_next)
    mean = sde_mean(velocity.double(), sample.double(), column(noise_scale), sig, dt)
    previous = (mean + column(std) * randn(3, 2, 4, 4).double()).float()
    log_density = (-(previous.double() - mean) ** 2 / (2 * column(std) ** 2)
                   - torch.log(column(std)) - 0.5 * math.log(2 * math.pi))
    reference_mean = sde_mean(reference_velocity.double(), sample.double(), column(noise_scale), sig, dt)
    squared = (mean - reference_mean) ** 2
    TENSORS.update({
        f"sde.{label}.previous_sample": previous, f"sde.{label}.noise_scale": noise_scale,
        f"sde.{label}.std": std, f"sde.{label}.mean": mean,
        f"sde.{label}.log_prob": log_density.mean(dim=(1, 2, 3)),
        f"sde.{label}.reference_mean": reference_mean,
        f"sde.{label}.kl_noise_scale": (squared / (2 * column(noise_scale) ** 2)).mean(dim=(1, 2, 3)),
        f"sde.{label}.kl_std": (squared / (2 * column(std) ** 2)).mean(dim=(1, 2, 3)),
    })

# --- write --------------------------------------------------------------------------------

os.makedirs(OUT_DIR, exist_ok=True)
schedules_path = os.path.join(OUT_DIR, "schedules.json")
with open(schedules_path, "w") as f:
    document = {"generator": "scripts/golden/flow_match.py", "diffusers": diffusers.__version__, "cases": CASES}
    f.write(json.dumps(document, sort_keys=True, indent=1) + "\n")

# safetensors writes its JSON header in hash-map order; re-emit it with sorted keys (same
# length, same data offsets) so that reruns produce a byte-identical file.
blob = save({k: v.contiguous() for k, v in TENSORS.items()},
            metadata={"generator": "scripts/golden/flow_match.py", "diffusers": diffusers.__version__})
n = struct.unpack("<Q", blob[:8])[0]
header = json.dumps(json.loads(blob[8:8 + n]), sort_keys=True, separators=(",", ":")).encode()
assert len(header) <= n
steps_path = os.path.join(OUT_DIR, "steps.safetensors")
with open(steps_path, "wb") as f:
    f.write(blob[:8] + header.ljust(n, b" ") + blob[8 + n:])
for path in (schedules_path, steps_path):
    print(f"wrote {os.path.normpath(path)}: {os.path.getsize(path)} bytes")
