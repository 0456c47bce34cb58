"""The PyTorch reference of the side-by-side benchmark: one DDPO-IS epoch written
with diffusers and transformers, with the settings `ddpo-bench epoch` uses, so the
two can be timed alternately on the same pipeline (bench/side_by_side.py).

One epoch (docs/algorithm.md §7): sample `sample_batches` x `sample_batch`
trajectories with DDIM (eta 1) and classifier-free guidance 5, keeping every latent
and each step's log-probability; decode with the VAE; score with the JPEG
compressibility reward (quality 95); batch-wise advantages clipped to +-5; then for
every train batch of `train_batch` samples and every timestep (shuffled per sample),
recompute the guided prediction and the log-probability of the stored next latent,
take the PPO-clipped loss (clip 1e-4) and accumulate gradients over the timesteps and
`accumulation` batches before one AdamW step with the gradient norm clipped to 1.

The DDIM step with its log-probability is written here from docs/algorithm.md §2: diffusers'
scheduler gives the timesteps and alphas_cumprod, not the step (its step neither takes
a timestep per sample nor returns a log-probability).

Run one process per measurement; it runs `--warmup` untimed epochs, then `--epochs`
timed ones, and prints one JSON line (medians over the timed epochs; peak RSS of the
whole process, from getrusage).
"""

import argparse
import io
import json
import math
import os
import resource
import time

# Prompts are padded to 77 tokens, so which animals are drawn does not change the cost.
ANIMALS = ["cat", "dog", "horse", "monkey", "rabbit", "zebra", "spider", "bird", "sheep", "deer", "cow", "goat",
           "lion", "tiger", "bear", "raccoon", "fox", "wolf", "lizard", "beetle", "ant", "butterfly", "fish"]


def ddim_step(eps, t, x, alphas_cumprod, final_alpha_cumprod, step_size, eta, prev=None, noise=None):
    """One DDIM step (eta > 0) at per-sample timesteps t ([B]). Samples x_{t-1} = mean +
    sigma * noise unless `prev` is given; returns x_{t-1} and its log-density under the
    step's Gaussian, meaned over the non-batch dimensions (docs/algorithm.md §2)."""
    import torch
    shape = (-1,) + (1,) * (x.dim() - 1)
    prev_t = t - step_size
    a_t = alphas_cumprod[t].view(shape)
    a_prev = torch.where(prev_t >= 0, alphas_cumprod[prev_t.clamp(min=0)],
                         torch.full(prev_t.shape, final_alpha_cumprod, dtype=alphas_cumprod.dtype,
                                    device=alphas_cumprod.device)).view(shape)
    x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
    sigma = eta * ((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)).sqrt()
    mean = a_prev.sqrt() * x0 + (1 - a_prev - sigma ** 2).sqrt() * eps
    if prev is None:
        prev = mean + sigma * noise
    prev = prev.detach()  # the action is a constant: no gradient through it
    log_prob = -((prev - mean) ** 2) / (2 * sigma ** 2) - sigma.log() - math.log(math.sqrt(2 * math.pi))
    return prev, log_prob.mean(dim=tuple(range(1, x.dim())))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="Tests/Fixtures/tiny-sd1", help="diffusers pipeline folder")
    p.add_argument("--mode", choices=["full", "lora"], default="lora")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--sample-batch", type=int, default=4)
    p.add_argument("--sample-batches", type=int, default=2)
    p.add_argument("--train-batch", type=int, default=2)
    p.add_argument("--accumulation", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--device", default="cpu", help="cpu or cuda[:N] (noise is still drawn on the CPU, as in swift-ddpo)")
    p.add_argument("--mixed-precision", choices=["no", "bf16"], default="no",
                   help="bf16: the UNet, text encoder and VAE decoder under torch.autocast, weights fp32 "
                        "(swift-ddpo's mixed_precision)")
    return p.parse_args()


def main():
    process_start = time.perf_counter()
    args = parse_args()
    import torch
    torch.set_num_threads(args.threads)
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from PIL import Image
    from transformers import CLIPTextModel, CLIPTokenizer

    path = args.model
    tokenizer = CLIPTokenizer.from_pretrained(path, subfolder="tokenizer")
    text_encoder = CLIPTextModel.from_pretrained(path, subfolder="text_encoder")
    vae = AutoencoderKL.from_pretrained(path, subfolder="vae")
    unet = UNet2DConditionModel.from_pretrained(path, subfolder="unet")
    scheduler = DDIMScheduler.from_pretrained(path, subfolder="scheduler")
    device = torch.device(args.device)
    for module in (text_encoder, vae, unet):
        module.to(device)
    text_encoder.requires_grad_(False)
    vae.requires_grad_(False)
    if args.mode == "lora":
        from peft import LoraConfig
        unet.requires_grad_(False)
        unet.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights="gaussian",
                                    target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
        learning_rate = 3e-4
    else:
        unet.requires_grad_(True)
        learning_rate = 1e-5
    trainable = [p for p in unet.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=learning_rate, betas=(0.9, 0.999), weight_decay=1e-4, eps=1e-8)

    scheduler.set_timesteps(args.steps)
    timesteps = scheduler.timesteps.clone()  # e.g. 951, 901, ..., 1 for 20 steps
    timesteps = timesteps.to(device)
    alphas_cumprod = scheduler.alphas_cumprod.float().to(device)
    final_alpha_cumprod = float(scheduler.final_alpha_cumprod)
    step_size = scheduler.config.num_train_timesteps // args.steps
    guidance, eta, clip_range, adv_clip = 5.0, 1.0, 1e-4, 5.0
    latent_size = unet.config.sample_size
    generator = torch.Generator().manual_seed(args.seed)

    def encode(prompts):
        ids = tokenizer(prompts, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                        return_tensors="pt").input_ids
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.mixed_precision == "bf16"):
            return text_encoder(ids.to(device))[0].float()

    def guided(latents, t, embeddings, negative):
        b = latents.shape[0]
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.mixed_precision == "bf16"):
            out = unet(torch.cat([latents, latents]), torch.cat([t, t]),
                       encoder_hidden_states=torch.cat([negative.expand(b, -1, -1), embeddings])).sample
        out = out.float()  # the DDIM step and log-probabilities in fp32, as swift-ddpo does
        uncond, cond = out.chunk(2)
        return uncond + guidance * (cond - uncond)

    def jpeg_reward(images):
        pixels = (images * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        rewards = []
        for array in pixels:
            buffer = io.BytesIO()
            Image.fromarray(array).save(buffer, format="JPEG", quality=95)  # PIL's default: 4:2:0 at 95
            rewards.append(-len(buffer.getvalue()) / 1000)
        return rewards

    def epoch(index):
        start = time.perf_counter()
        prompt_rng = torch.Generator().manual_seed(args.seed * 1000 + index)
        all_latents, all_log_probs, all_embeddings, rewards = [], [], [], []
        reward_seconds = 0.0
        with torch.no_grad():
            negative = encode([""])
            for _ in range(args.sample_batches):
                picks = torch.randint(len(ANIMALS), (args.sample_batch,), generator=prompt_rng).tolist()
                embeddings = encode([ANIMALS[i] for i in picks])
                latents = torch.randn((args.sample_batch, unet.config.in_channels, latent_size, latent_size),
                                      generator=generator).to(device)
                states, log_probs = [latents], []
                for t in timesteps:
                    per_sample = torch.full((args.sample_batch,), int(t), dtype=torch.long, device=device)
                    eps = guided(latents, per_sample, embeddings, negative)
                    noise = torch.randn(latents.shape, generator=generator).to(device)
                    latents, log_prob = ddim_step(eps, per_sample, latents, alphas_cumprod, final_alpha_cumprod,
                                                  step_size, eta, noise=noise)
                    states.append(latents)
                    log_probs.append(log_prob)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.mixed_precision == "bf16"):
                    decoded = vae.decode(latents / vae.config.scaling_factor).sample.float()
                images = (decoded / 2 + 0.5).clamp(0, 1)
                reward_start = time.perf_counter()
                rewards += jpeg_reward(images)
                reward_seconds += time.perf_counter() - reward_start
                all_latents.append(torch.stack(states, dim=1))
                all_log_probs.append(torch.stack(log_probs, dim=1))
                all_embeddings.append(embeddings)
        sampling_seconds = time.perf_counter() - start - reward_seconds
        latents = torch.cat(all_latents)            # [N, steps + 1, C, H, W]
        old_log_probs = torch.cat(all_log_probs)   # [N, steps]
        embeddings = torch.cat(all_embeddings)
        r = torch.tensor(rewards, device=device)
        advantages = ((r - r.mean()) / (r.std(unbiased=False) + 1e-8)).clamp(-adv_clip, adv_clip)

        train_start = time.perf_counter()
        n, steps = old_log_probs.shape
        order = torch.randperm(n, generator=generator).to(device)
        step_orders = torch.stack([torch.randperm(steps, generator=generator) for _ in range(n)]).to(device)
        micro_per_step = args.accumulation * steps
        pending = 0
        optimizer.zero_grad()
        for start_row in range(0, n, args.train_batch):
            rows = torch.arange(start_row, min(start_row + args.train_batch, n), device=device)
            idx = order[rows]
            for j in range(steps):
                k = step_orders[rows, j]
                x, x_next = latents[idx, k], latents[idx, k + 1]
                t = timesteps[k]
                eps = guided(x, t, embeddings[idx], negative)
                _, log_prob = ddim_step(eps, t, x, alphas_cumprod, final_alpha_cumprod, step_size, eta, prev=x_next)
                ratio = torch.exp(log_prob - old_log_probs[idx, k])
                adv = advantages[idx]
                loss = torch.maximum(-adv * ratio, -adv * ratio.clamp(1 - clip_range, 1 + clip_range)).mean()
                (loss / micro_per_step).backward()
                # The statistics the trainer logs (as the Swift trainer does, read every micro-batch).
                _ = loss.item()
                _ = (0.5 * (log_prob - old_log_probs[idx, k]) ** 2).mean().item()
                _ = ((ratio - 1).abs() > clip_range).float().mean().item()
                pending += 1
                if pending == micro_per_step:
                    torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                    optimizer.step()
                    optimizer.zero_grad()
                    pending = 0
        if pending:
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            optimizer.zero_grad()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        training_seconds = time.perf_counter() - train_start
        return {"epoch_s": time.perf_counter() - start, "sampling": n / sampling_seconds,
                "training": n * steps / training_seconds, "reward_s": reward_seconds}

    load_seconds = time.perf_counter() - process_start
    for i in range(args.warmup):
        epoch(i)
    timed = [epoch(args.warmup + i) for i in range(args.epochs)]

    def median(values):
        values = sorted(values)
        mid = len(values) // 2
        return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2

    import diffusers
    print(json.dumps({
        "impl": "reference", "mode": args.mode, "threads": args.threads, "seed": args.seed, "model": args.model,
        "samples": args.sample_batch * args.sample_batches, "steps": args.steps, "epochs": args.epochs,
        "warmup": args.warmup,
        "sampling_images_per_s": median([e["sampling"] for e in timed]),
        "train_timesteps_per_s": median([e["training"] for e in timed]),
        "epoch_s": median([e["epoch_s"] for e in timed]), "reward_wait_s": median([e["reward_s"] for e in timed]),
        "load_s": load_seconds,
        # ru_maxrss is in KiB on Linux.
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "process_s": time.perf_counter() - process_start,
        "torch": torch.__version__, "diffusers": diffusers.__version__,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "device": args.device, "mixed_precision": args.mixed_precision,
        "peak_gpu_mib": torch.cuda.max_memory_allocated(device) / 2 ** 20 if device.type == "cuda" else None,
    }, sort_keys=True))


if __name__ == "__main__":
    main()
