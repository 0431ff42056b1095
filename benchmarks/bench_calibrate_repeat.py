"""Calibration repeatability: calibrate several times in a row, each in a fresh process, and
compare consecutive runs' bandwidth and peak (the two figures every floor is made of).

Each run's samples are also read back through a recording clock, so the same samples give the
baseline in the same run: the *best* sample of each figure (STREAM's best rate, what calibration
kept before it kept the 90th percentile). The benchmark prints, per consecutive pair, the
relative difference |a − b| / max(a, b) of each figure by both estimators, the ratio of the
baseline's difference to the profile's, and the load average around each run. It is a benchmark,
not a test: what it measures is this machine and its neighbours.

    python benchmarks/bench_calibrate_repeat.py [--runs 3] [--threads N] [--seconds 40] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = "--child"


def child(threads: int | None, seconds: float) -> None:
    """One calibration; prints its profile and the best sample's rate of each figure as JSON."""
    from igcdesign.probe.calibrate import (FIGURES, Sample, Sizes, calibrate, default_buffer_bytes, last_level_cache_bytes,
                                          wall_clock, work_per_call)
    from igcdesign.probe.device import available_memory
    from igcdesign.probe.layer_latency import uses_cpu_clock

    import torch

    threads = threads or torch.get_num_threads()
    base = wall_clock("cpu", uses_cpu_clock(threads))
    seen: list[float] = []

    def recording(fn, min_time):
        sample = base(fn, min_time)
        seen.append(sample.seconds if isinstance(sample, Sample) else sample)
        return sample

    sizes = Sizes(default_buffer_bytes("cpu", available_memory("cpu"), last_level_cache_bytes()), seconds=seconds)
    profile = calibrate("cpu", threads, "float32", sizes, clock=recording)
    work = work_per_call(profile.sizes["buffer_bytes"], sizes)
    best = {key: max(work[key] / t for i, t in enumerate(seen) if FIGURES[i % len(FIGURES)] == key)
            for key in work}
    print(json.dumps({"profile": profile.as_dict(), "best": best}))


def run_once(threads: int | None, seconds: float) -> dict:
    env = {**os.environ, "IGCDESIGN_CACHE_DIR": tempfile.mkdtemp(prefix="igc-bench-cache-")}
    args = [sys.executable, __file__, CHILD, "--seconds", str(seconds)] + (["--threads", str(threads)] if threads else [])
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout)


def difference(a: float, b: float) -> float:
    return abs(a - b) / max(a, b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--out", default=None, help="also write the table as Markdown here")
    parser.add_argument(CHILD, action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.threads, args.seconds)
        return
    if not 2 <= args.runs <= 20:
        parser.error("--runs must be between 2 and 20")
    runs = []
    for k in range(args.runs):
        print(f"run {k + 1}/{args.runs} …", file=sys.stderr, flush=True)
        runs.append(run_once(args.threads, args.seconds))
    first = runs[0]["profile"]
    lines = [f"{first['fingerprint']['device']}, torch {first['fingerprint']['torch']}, "
             f"{first['fingerprint']['threads']} thread(s), clock {first['clock']}, {args.seconds:g} s of rounds per run",
             "",
             "| run | load | rounds | bandwidth GB/s (p90 · best) | peak GMAC/s (p90 · best) | core share |",
             "|---|---|---:|---:|---:|---:|"]
    for k, run in enumerate(runs, 1):
        p, best = run["profile"], run["best"]
        shares = [v for key, v in p["core_share"].items() if key != "call_s"]
        share = f"{min(shares):.2f}" if shares else "–"
        lines.append(f"| {k} | {' → '.join(f'{x:.2f}' for x in p['load_average'] if x is not None)} | {p['sizes']['rounds']} | "
                     f"{p['bandwidth_bytes_per_s'] / 1e9:.2f} · {max(best['copy_bytes_per_s'], best['triad_bytes_per_s']) / 1e9:.2f} | "
                     f"{p['peak_macs_per_s'] / 1e9:.1f} · {max(best['matmul_macs_per_s'], best['conv_macs_per_s']) / 1e9:.1f} | "
                     f"{share} |")
    lines += ["", "| pair | bandwidth p90 | bandwidth best | best / p90 | peak p90 | peak best | best / p90 |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    worst = {"bandwidth": 0.0, "peak": 0.0}
    for k in range(1, len(runs)):
        a, b = runs[k - 1], runs[k]
        cells = []
        for name, pair in (("bandwidth", ("copy_bytes_per_s", "triad_bytes_per_s")), ("peak", ("matmul_macs_per_s", "conv_macs_per_s"))):
            field = f"{name}_bytes_per_s" if name == "bandwidth" else "peak_macs_per_s"
            p90 = difference(a["profile"][field], b["profile"][field])
            top = difference(max(a["best"][f] for f in pair), max(b["best"][f] for f in pair))
            worst[name] = max(worst[name], p90)
            cells += [f"{p90:.1%}", f"{top:.1%}", f"{top / p90:.2f}" if p90 else "–"]
        lines.append(f"| {k}–{k + 1} | " + " | ".join(cells) + " |")
    lines += ["", f"largest difference between consecutive runs: bandwidth {worst['bandwidth']:.1%}, peak {worst['peak']:.1%}"]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
