#!/usr/bin/env python3
"""Threads on a busy machine: swift-ddpo's epochs idle and with one core kept busy.

A user's laptop always has other work on it. This benchmark runs the same
workloads twice, once on an idle machine and once while another process keeps one
core busy (a plain spinning Python loop, the kind of load a browser tab or a
compile gives), for two thread settings:

- `pool`: one worker, libtorch's intra-op pool with one thread per core
  (`workers: 1, threads: <cores>`; libtorch's own default);
- `workers`: one worker per core with one intra-op thread each
  (`workers: <cores>, threads: 1`).

`workers: null, threads: null` (the default) chooses `workers` for the bundled and
the tiny model and `pool` for a UNet over 100 M parameters such as SD 1.5's
(`ThreadingPlan`); the table marks the choice.

Workloads (each one process, its figures from its own metrics):
- `demo-epochs`: the demo's configuration (configs/shapes-compressibility.yaml)
  for --epochs epochs, without its evaluations and monitors; the median epoch time
  from metrics.jsonl;
- `tiny-epoch`: `ddpo-bench epoch` on the tests' tiny random pipeline (LoRA);
- `sd15-epoch`: `ddpo-bench epoch` on a random-weight UNet with SD 1.5's
  architecture at 64x64 latents (1 sample, 2 steps, LoRA), made once by
  `ddpo-bench make-sd15` (skip with --no-sd15; several minutes idle).

With --demo it also times the whole demo (`ddpo train --config
configs/shapes-compressibility.yaml`, as `make demo` runs it: evaluations,
monitors and all) idle and busy with the default threads: the figure the README quotes
("within 2x of idle").

Prints a table of busy/idle ratios and writes --out (JSON). Standard library only.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ddpo", default=os.path.join(ROOT, ".build", "release", "ddpo"))
    p.add_argument("--swift-bench", default=os.path.join(ROOT, ".build", "release", "ddpo-bench"))
    p.add_argument("--epochs", type=int, default=4, help="demo epochs per demo-epochs measurement")
    p.add_argument("--no-sd15", action="store_true", help="skip the SD-1.5-size epoch")
    p.add_argument("--demo", action="store_true", help="also the whole demo, idle and busy, with the default threads")
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "busy.json"))
    p.add_argument("--runs", help="keep the run folders here (default: a temporary folder, removed)")
    p.add_argument("--markdown", metavar="RESULTS", help="print RESULTS (a busy.json) as a Markdown table; no run")
    return p.parse_args()


class BusyCore:
    """Keeps one core busy with a spinning process while the block runs."""

    def __init__(self, busy):
        self.busy = busy
        self.child = None

    def __enter__(self):
        if self.busy:
            self.child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        if self.child:
            self.child.kill()
            self.child.wait()


def thread_settings(name, cores):
    if name == "pool":
        return {"workers": 1, "threads": cores}
    return {"workers": cores, "threads": 1}


def demo_epochs(args, setting, cores, busy, runs):
    name = f"demo-{setting}-{'busy' if busy else 'idle'}"
    threads = thread_settings(setting, cores)
    command = [
        args.ddpo, "train", "--config", "configs/shapes-compressibility.yaml",
        "--set", f"log_dir={runs}", "--set", f"run_name={name}", "--set", f"epochs={args.epochs}",
        "--set", "eval_images=1", "--set", "monitor.every=0",
        "--set", f"workers={threads['workers']}", "--set", f"threads={threads['threads']}",
    ]
    with BusyCore(busy):
        completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{completed.stderr[-3000:]}")
    epochs = []
    with open(os.path.join(runs, name, "metrics.jsonl")) as f:
        for line in f:
            record = json.loads(line)
            if "time_sampling_s" in record:
                epochs.append(record["time_sampling_s"] + record["time_reward_wait_s"] + record["time_training_s"])
    return statistics.median(epochs), None


def bench_epoch(args, setting, cores, busy, model, extra):
    threads = thread_settings(setting, cores)
    command = [args.swift_bench, "epoch", "--model", model, "--mode", "lora",
               "--workers", str(threads["workers"]), "--threads", str(threads["threads"])] + extra
    with BusyCore(busy):
        completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{completed.stderr[-3000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return result["epoch_s"], result["peak_rss_mib"]


def whole_demo(args, busy, runs):
    name = f"whole-demo-{'busy' if busy else 'idle'}"
    command = [args.ddpo, "train", "--config", "configs/shapes-compressibility.yaml",
               "--set", f"log_dir={runs}", "--set", f"run_name={name}"]
    with BusyCore(busy):
        start = time.perf_counter()
        completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{completed.stderr[-3000:]}")
    return wall


def markdown(results):
    lines = [
        f"Measured {results['date']} on {results['cores']} cores; seconds (median epoch, or the whole run); "
        "busy = another process spinning on one core.",
        "",
        "| workload | threads | idle (s) | busy (s) | busy / idle | peak RSS idle (MiB) |",
        "|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        chosen = " (default)" if row.get("default") else ""
        rss = f"{row['idle_peak_rss_mib']:.0f}" if row.get("idle_peak_rss_mib") else "–"
        lines.append(
            f"| {row['workload']} | {row['setting']}{chosen} | {row['idle_s']:.2f} | {row['busy_s']:.2f} | "
            f"**{row['busy_s'] / row['idle_s']:.2f}×** | {rss} |")
    return "\n".join(lines)


def main():
    args = parse_args()
    if args.markdown:
        with open(args.markdown) as f:
            print(markdown(json.load(f)))
        return
    cores = os.cpu_count() or 1
    runs = args.runs or tempfile.mkdtemp(prefix="ddpo-busy-")
    os.makedirs(runs, exist_ok=True)
    rows = []
    try:
        workloads = [
            ("demo-epochs", lambda s, b: demo_epochs(args, s, cores, b, runs)),
            ("tiny-epoch", lambda s, b: bench_epoch(args, s, cores, b, "Tests/Fixtures/tiny-sd1", [])),
        ]
        if not args.no_sd15:
            sd15 = os.path.join(runs, "sd15-random")
            if not os.path.exists(os.path.join(sd15, "model_index.json")):
                subprocess.run([args.swift_bench, "make-sd15", "--out", sd15], cwd=ROOT, check=True,
                               capture_output=True)
            workloads.append(("sd15-epoch", lambda s, b: bench_epoch(
                args, s, cores, b, sd15, ["--steps", "2", "--sample-batch", "1", "--sample-batches", "1",
                                          "--train-batch", "1", "--accumulation", "1", "--warmup", "1"])))
        for workload, measure in workloads:
            default = "pool" if workload == "sd15-epoch" else "workers"
            for setting in ["pool", "workers"]:
                idle, rss = measure(setting, False)
                busy, _ = measure(setting, True)
                rows.append({"workload": workload, "setting": setting, "default": setting == default,
                             "idle_s": idle, "busy_s": busy, "idle_peak_rss_mib": rss})
                print(f"{workload:12} {setting:7} idle {idle:8.2f} s  busy {busy:8.2f} s  "
                      f"busy/idle {busy / idle:5.2f}x", flush=True)
        if args.demo:
            idle = whole_demo(args, False, runs)
            busy = whole_demo(args, True, runs)
            rows.append({"workload": "whole demo", "setting": "null (workers)", "default": True,
                         "idle_s": idle, "busy_s": busy})
            print(f"whole demo   null  idle {idle:8.2f} s  busy {busy:8.2f} s  busy/idle {busy / idle:5.2f}x")
    finally:
        if not args.runs:
            shutil.rmtree(runs, ignore_errors=True)
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cores": cores, "rows": rows}
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    print()
    print(markdown(results))


if __name__ == "__main__":
    main()
