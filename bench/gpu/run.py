"""GPU benchmark, to run on a GPU machine: one DDPO-IS epoch on a random
SD-1.5-architecture pipeline at 512x512, batch 4 (sampling, then one optimizer step
over every timestep), swift-ddpo (dist/ddpo-gpu, `make gpu-binary`) against the
diffusers reference (bench/reference.py) on the same GPU, alternating the two.

Needs a Python with torch (the version dist/ddpo-gpu was built for), diffusers,
transformers and peft. Writes bench/gpu/results.json and prints a Markdown table.
  python3 bench/gpu/run.py                          # lora and full, no and bf16, 3 pairs
  python3 bench/gpu/run.py --modes lora --precisions bf16 --pairs 1
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STEPS, SAMPLES = 20, 4  # must match bench/gpu/sd15-epoch.yaml
LEARNING_RATE = {"lora": "3.0e-4", "full": "1.0e-5"}


def reference(args, mode, precision):
    command = [sys.executable, os.path.join(ROOT, "bench", "reference.py"), "--model", args.model, "--device", args.device,
               "--mode", mode, "--mixed-precision", precision, "--steps", str(STEPS), "--sample-batch", str(SAMPLES),
               "--sample-batches", "1", "--train-batch", str(SAMPLES), "--accumulation", "1", "--warmup", "1",
               "--epochs", "1", "--threads", str(args.threads)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return {"sampling_images_per_s": r["sampling_images_per_s"], "train_timesteps_per_s": r["train_timesteps_per_s"],
            "epoch_s": r["epoch_s"], "peak_gpu_mib": r.get("peak_gpu_mib")}


def swift(args, mode, precision, index):
    run_name = f"{mode}-{precision}-{index}"
    log_dir = os.path.join(args.work, "runs")
    command = [os.path.join(args.dist, "ddpo"), "train", "--config", os.path.join(HERE, "sd15-epoch.yaml"),
               "--set", f"model={args.model}", "--set", f"device={args.device}",
               "--set", f"mixed_precision={precision}", "--set", f"use_lora={'true' if mode == 'lora' else 'false'}",
               "--set", f"train.learning_rate={LEARNING_RATE[mode]}", "--set", f"threads={args.threads}",
               "--set", f"run_name={run_name}", "--set", f"log_dir={log_dir}"]
    env = dict(os.environ, LIBTORCH=args.libtorch)
    subprocess.run(command, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with open(os.path.join(log_dir, run_name, "metrics.jsonl")) as f:
        epochs = [json.loads(line) for line in f if '"time_sampling_s"' in line]
    last = epochs[-1]  # the second epoch; the first is the warm-up
    return {"sampling_images_per_s": SAMPLES / last["time_sampling_s"],
            "train_timesteps_per_s": SAMPLES * STEPS / last["time_training_s"],
            "epoch_s": last["time_sampling_s"] + last["time_reward_wait_s"] + last["time_training_s"]}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--modes", default="lora,full")
    p.add_argument("--precisions", default="no,bf16")
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--work", default=os.path.join(ROOT, "runs", "gpu-bench"), help="model and runs go here")
    p.add_argument("--dist", default=os.path.join(ROOT, "dist", "ddpo-gpu"))
    p.add_argument("--out", default=os.path.join(HERE, "results.json"))
    p.add_argument("--model", default=None, help="another pipeline (e.g. Tests/Fixtures/tiny-sd1 to check the script on a CPU)")
    args = p.parse_args()
    import torch
    args.libtorch = os.path.dirname(torch.__file__)
    args.model = os.path.abspath(args.model or os.path.join(args.work, "sd15-random"))
    if not os.path.exists(os.path.join(args.model, "unet")):
        subprocess.run([sys.executable, os.path.join(HERE, "make_sd15.py"), "--out", args.model], check=True, cwd=ROOT)

    results = {"device": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else args.device,
               "torch": torch.__version__, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "runs": {}}
    metrics = ["sampling_images_per_s", "train_timesteps_per_s", "epoch_s"]
    rows = []
    for mode in args.modes.split(","):
        for precision in args.precisions.split(","):
            pairs = [(reference(args, mode, precision), swift(args, mode, precision, i)) for i in range(args.pairs)]
            key = f"{mode}_{precision}"
            results["runs"][key] = pairs
            for m in metrics:
                ref = statistics.median(r[m] for r, _ in pairs)
                ours = statistics.median(s[m] for _, s in pairs)
                ratio = statistics.median(s[m] / r[m] for r, s in pairs)
                rows.append(f"| {mode} | {precision} | {m} | {ref:.3g} | {ours:.3g} | {ratio:.2f} |")
            with open(args.out, "w") as f:
                json.dump(results, f, indent=1)
    print(f"{results['device']}, torch {results['torch']}, {args.pairs} pairs, medians")
    print("| mode | mixed precision | metric | reference | swift-ddpo | swift / reference |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
