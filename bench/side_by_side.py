#!/usr/bin/env python3
"""Side-by-side benchmark of swift-ddpo against the PyTorch reference (reference.py).

For each thread count and each mode (full fine-tuning, LoRA rank 4) it runs the two
alternately, reference then Swift, `--pairs` times (A B A B ...), one process per
measurement, each doing one untimed warm-up epoch and one timed epoch on the same
tiny pipeline. Alternating spreads slow drifts of the machine (heat, other load) over
both sides instead of biasing one. It prints the medians of each side and the
per-pair ratios Swift / reference for sampling images/s, training timesteps/s, epoch
wall time and peak RSS, and writes everything to `--out` (JSON).

With --memory it also reports peak RSS (and wall time) of one epoch of the demo
(`ddpo train --config configs/shapes-compressibility.yaml --set epochs=1`) and of one
DDPO epoch on a random-weight SD-1.5-architecture UNet at 64x64 latents (made by
`ddpo-bench make-sd15`), for Swift and, with --memory-reference, for the reference.

Standard library only; the reference's interpreter is --python (make-venv makes one).
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METRICS = [
    # key, label, unit, higher is better
    ("sampling_images_per_s", "sampling", "images/s", True),
    ("train_timesteps_per_s", "training", "timesteps/s", True),
    ("epoch_s", "epoch wall time", "s", False),
    ("peak_rss_mib", "peak RSS", "MiB", False),
]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--python", default=os.path.join(ROOT, "bench", ".venv", "bin", "python"),
                   help="the reference's interpreter (torch, diffusers, transformers, peft)")
    p.add_argument("--swift-bench", default=os.path.join(ROOT, ".build", "release", "ddpo-bench"))
    p.add_argument("--ddpo", default=os.path.join(ROOT, ".build", "release", "ddpo"), help="for --memory's demo run")
    p.add_argument("--model", default="Tests/Fixtures/tiny-sd1")
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--threads", default="1,2", help="cores each side may use, one section per count")
    p.add_argument("--swift-parallelism", choices=["workers", "intra-op"], default="workers",
                   help="how swift-ddpo uses N cores: N workers of one intra-op thread each (`workers: N, "
                        "threads: 1`), or one worker with N intra-op threads (`threads: N`); the reference "
                        "always uses torch.set_num_threads(N)")
    p.add_argument("--modes", default="full,lora")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results.json"))
    p.add_argument("--memory", action="store_true", help="also the demo's and an SD-1.5-size epoch's peak RSS")
    p.add_argument("--memory-reference", action="store_true", help="also the reference's SD-1.5-size epoch")
    p.add_argument("--memory-threads", type=int, default=2)
    p.add_argument("--memory-steps", type=int, default=2, help="DDIM steps of the SD-1.5-size epoch")
    p.add_argument("--sd15-dir", default=None, help="where the random SD-1.5-size pipeline goes (default: a temp dir)")
    p.add_argument("--skip-pairs", action="store_true", help="only --memory")
    p.add_argument("--markdown", metavar="RESULTS", help="print RESULTS (a results.json) as Markdown tables; no run")
    return p.parse_args()


def run_measured(command, threads=None, cwd=ROOT):
    """Runs a command; returns (stdout, wall seconds, the child's peak RSS in MiB from wait4)."""
    env = dict(os.environ)
    if threads is not None:
        # Both sides size libtorch's pool from their --threads; OMP/MKL variables keep
        # any other OpenMP user in the process to the same count.
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_VERBOSITY", "error")
    env.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode != 0:
        sys.stderr.write(stderr[-4000:])
        raise SystemExit(f"failed ({child.returncode}): {' '.join(command)}")
    return stdout, wall, usage.ru_maxrss / 1024


def last_json_line(stdout):
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit("no JSON line in:\n" + stdout[-2000:])


def measure_epoch(impl, args, model, mode, threads, seed, options, parallelism=None):
    """One process of `impl` on `threads` cores (the two take the same options, and Swift
    --workers); its JSON line plus wall time and wait4's RSS."""
    parallelism = parallelism or args.swift_parallelism
    intra_op = 1 if impl == "swift" and parallelism == "workers" else threads
    common = ["--model", model, "--mode", mode, "--threads", str(intra_op), "--seed", str(seed)] + options
    if impl == "reference":
        command = [args.python, os.path.join(ROOT, "bench", "reference.py")] + common
    else:
        command = [args.swift_bench, "epoch", "--workers", str(threads // intra_op)] + common
    stdout, wall, rss = run_measured(command, intra_op)
    result = last_json_line(stdout)
    result["wall_s"] = wall
    result["wait4_peak_rss_mib"] = rss
    return result


def median(values):
    return statistics.median(values)


def save(report, path):
    """Writes the report so far (atomically), so an interrupted run keeps what it measured."""
    with open(path + ".tmp", "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
    os.replace(path + ".tmp", path)


def pairs_section(args, report):
    sections = report.setdefault("side_by_side", [])
    for threads in [int(t) for t in args.threads.split(",")]:
        for mode in args.modes.split(","):
            runs = {"reference": [], "swift": []}
            for pair in range(args.pairs):
                for impl in ("reference", "swift"):
                    r = measure_epoch(impl, args, args.model, mode, threads, pair, ["--steps", str(args.steps)])
                    runs[impl].append(r)
                    print(f"  threads={threads} {mode:4} pair {pair + 1}/{args.pairs} {impl:9}  "
                          + "  ".join(f"{label} {r[key]:.3f} {unit}" for key, label, unit, _ in METRICS), flush=True)
            # The 1-minute load average after the section: other work on the machine shows up here.
            section = {"threads": threads, "swift_parallelism": args.swift_parallelism, "mode": mode,
                       "pairs": args.pairs, "runs": runs, "medians": {},
                       "ratios": {}, "load_average_after": os.getloadavg()}
            for key, label, unit, _ in METRICS:
                ref = [r[key] for r in runs["reference"]]
                swift = [r[key] for r in runs["swift"]]
                ratios = [s / r for s, r in zip(swift, ref)]
                section["medians"][key] = {"reference": median(ref), "swift": median(swift), "unit": unit}
                section["ratios"][key] = {"per_pair": ratios, "median": median(ratios)}
            sections.append(section)
            save(report, args.out)
    return sections


def print_pairs(sections):
    print()
    print("Side by side (medians; ratio = Swift / reference, median of per-pair ratios; threads = cores per side,"
          f" Swift as {sections[0].get('swift_parallelism', 'intra-op') if sections else 'intra-op'}):")
    header = f"{'threads':>7} {'mode':4}  {'metric':28} {'reference':>10} {'swift':>10}  {'ratio':>6}  per-pair ratios"
    print(header)
    print("-" * len(header))
    for s in sections:
        for key, label, unit, _ in METRICS:
            m, r = s["medians"][key], s["ratios"][key]
            name = f"{label} ({unit})"
            print(f"{s['threads']:>7} {s['mode']:4}  {name:28} {m['reference']:>10.2f} {m['swift']:>10.2f}  "
                  f"{r['median']:>6.3f}  " + " ".join(f"{x:.3f}" for x in r["per_pair"]))


def memory_section(args, report):
    results = report.setdefault("memory", {})
    # The demo's configuration for one epoch (with its before/after evaluations), in a
    # throwaway run folder. Threads: the demo's own setting (libtorch's choice).
    logs = tempfile.mkdtemp(prefix="ddpo-bench-demo-")
    try:
        command = [args.ddpo, "train", "--config", "configs/shapes-compressibility.yaml", "--set", "epochs=1",
                   "--set", f"log_dir={logs}", "--set", "run_name=bench-demo"]
        _, wall, rss = run_measured(command)
        results["demo_epoch"] = {"command": "ddpo " + " ".join(command[1:6]), "wall_s": wall, "peak_rss_mib": rss}
        print(f"  demo, 1 epoch (ddpo train, shapes-compressibility): {wall:.1f} s, peak RSS {rss:.0f} MiB", flush=True)
        save(report, args.out)
    finally:
        shutil.rmtree(logs, ignore_errors=True)

    made = args.sd15_dir is None
    folder = args.sd15_dir or os.path.join(tempfile.mkdtemp(prefix="ddpo-bench-sd15-"), "sd15-random")
    try:
        if not os.path.exists(os.path.join(folder, "model_index.json")):
            _, wall, _ = run_measured([args.swift_bench, "make-sd15", "--out", folder])
            print(f"  made {folder} ({wall:.0f} s)", flush=True)
        # One sample, a few steps, train batch 1: the smallest SD-size DDPO epoch (LoRA,
        # as one would on a CPU; a full fine-tune would add ~10 GB of gradients and Adam state).
        options = ["--steps", str(args.memory_steps), "--sample-batch", "1", "--sample-batches", "1",
                   "--train-batch", "1", "--accumulation", "1", "--warmup", "0"]
        impls = ["swift"] + (["reference"] if args.memory_reference else [])
        for impl in impls:
            # One sample, one micro-batch: nothing for workers to share, so intra-op threads.
            r = measure_epoch(impl, args, folder, "lora", args.memory_threads, 0, options, parallelism="intra-op")
            results[f"sd15_epoch_{impl}"] = r
            print(f"  SD-1.5-architecture UNet, 64x64 latents, 1 sample, {args.memory_steps} steps, LoRA, "
                  f"{impl}: epoch {r['epoch_s']:.1f} s, peak RSS {r['peak_rss_mib']:.0f} MiB", flush=True)
            save(report, args.out)
    finally:
        if made:
            shutil.rmtree(os.path.dirname(folder), ignore_errors=True)
    return results


def markdown(path):
    with open(path) as f:
        report = json.load(f)
    if report.get("side_by_side"):
        print("| threads | mode | metric | reference | swift-ddpo | Swift / reference (median; per pair) |")
        print("|---|---|---|---|---|---|")
        for s in report["side_by_side"]:
            for key, label, unit, _ in METRICS:
                m, r = s["medians"][key], s["ratios"][key]
                cores = f"{s['threads']}" + (f" (Swift: {s['threads']} workers)"
                                             if s.get("swift_parallelism") == "workers" and s["threads"] > 1 else "")
                print(f"| {cores} | {s['mode']} | {label} ({unit}) | {m['reference']:.2f} | {m['swift']:.2f} | "
                      f"**{r['median']:.2f}**; " + " ".join(f"{x:.2f}" for x in r["per_pair"]) + " |")
    memory = report.get("memory", {})
    if memory:
        print()
        print("| run | wall time (s) | peak RSS (MiB) |")
        print("|---|---|---|")
        if "demo_epoch" in memory:
            d = memory["demo_epoch"]
            print(f"| demo, 1 epoch + evaluations (`{d['command']}`) | {d['wall_s']:.1f} | {d['peak_rss_mib']:.0f} |")
        for impl in ("swift", "reference"):
            r = memory.get(f"sd15_epoch_{impl}")
            if r:
                print(f"| SD-1.5-architecture UNet, 64×64 latents, 1 sample, {r['steps']} steps, LoRA, {r['threads']} "
                      f"threads, {impl} (epoch; process) | {r['epoch_s']:.1f}; {r['wall_s']:.1f} | "
                      f"{r['peak_rss_mib']:.0f} |")


def main():
    args = parse_args()
    if args.markdown:
        return markdown(args.markdown)
    os.chdir(ROOT)
    report = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "load_average_before": os.getloadavg(), "settings": {
                  "model": args.model, "pairs": args.pairs, "threads": args.threads, "modes": args.modes,
                  "swift_parallelism": args.swift_parallelism,
                  "epoch": f"8 samples (2 batches of 4), {args.steps} DDIM steps, eta 1, CFG 5, train batch 2, "
                           "accumulation 2, PPO clip 1e-4, AdamW (lr 1e-5 full, 3e-4 LoRA rank 4), JPEG reward; "
                           "one warm-up epoch, then one timed epoch per process"}}
    if not args.skip_pairs:
        if not os.access(args.python, os.X_OK):
            raise SystemExit(f"no reference interpreter at {args.python}: run bench/make-venv (or pass --python)")
        print(f"side by side on {args.model}: {args.pairs} pairs per thread count and mode", flush=True)
        pairs_section(args, report)
        # Where the reference's RSS starts: the imports alone (torch's CUDA wheel, diffusers, transformers, peft).
        stdout, _, _ = run_measured([args.python, "-c", "import resource, torch, diffusers, transformers, peft; "
                                     "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"])
        report["reference_imports_peak_rss_mib"] = float(stdout.strip().splitlines()[-1])
    if args.memory:
        print("memory:", flush=True)
        memory_section(args, report)
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    save(report, args.out)
    if "side_by_side" in report:
        print_pairs(report["side_by_side"])
        print(f"(the reference's imports alone: peak RSS {report['reference_imports_peak_rss_mib']:.0f} MiB)")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
