"""Fast modules against plain ones and against the floor: reports/fast_modules_cpu.md (+ .csv).

Blocks: the widest block of each family at 10⁴, 10⁵ and 10⁶ params (igcdesign.search.widest_all),
IGCV1 blocks of width ≈ 128, and seeded random chains; at batch 1 and 32 on a 32×32 map.
For each (block, batch) the plain module (one nn.Conv2d per conv, shuffles materialised) and the
fast module (igcdesign.probe.fast, its plan chosen by igcdesign.probe.tune and cached in the
machine profile) get the same weights, are checked equal, and are timed interleaved: `--rounds`
rounds, each timing plain then fast with blocked_autorange (fast first in every other round). Reported: the median over rounds of
fast / plain and of measured / floor, with the IQR over rounds.

The floor comes from this machine's profile (`igcdesign calibrate`); without one for the
fingerprint the script calibrates first. Maps larger than --max-map-mib are skipped and listed.

    .venv/bin/python benchmarks/bench_fast_modules.py [--quick] [--rounds 5] [--min-time 0.2]
        [--threads N] [--random 30] [--out reports/fast_modules_cpu.md]

Every figure in the report comes from this run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import statistics
import sys
from pathlib import Path

import torch

from igcdesign.families import parse_block
from igcdesign.floor import block_floor, layer_floors
from igcdesign.probe.calibrate import last_level_cache_bytes
from igcdesign.probe.calibrate import calibrate
from igcdesign.probe.device import device_name
from igcdesign.probe.fast import fast_module
from igcdesign.probe.modules import chain_module
from igcdesign.probe.timing import time_module
from igcdesign.probe.tune import choose_plan
from igcdesign.profile import Fingerprint, ProfileStore, find_profile, save_profile
from igcdesign.search import widest_all

ROOT = Path(__file__).resolve().parents[1]
IGCV1_NEAR_128 = [(8, 16), (16, 8), (4, 32), (32, 4), (2, 64), (64, 2), (9, 14), (14, 9), (7, 18), (18, 7)]
FAMILIES = ("regular", "dwsep", "igcv1", "igcv2", "igcv3")
TARGET_RATIO = 1.05
TARGET_SPEEDUP = 2.0
TARGET_FLOOR = 2.0


def random_chain_spec(rng: random.Random) -> str:
    """A valid chain: 2–4 convs, widths 32–512 that the groups divide, k 1 or 3, every gap kind."""
    n = rng.randint(2, 4)
    groups = [rng.choice([1, 2, 4, 8, 16, 32]) for _ in range(n)]
    widths = []
    for i in range(n + 1):
        need = max(groups[i - 1] if i > 0 else 1, groups[i] if i < n else 1)
        base = rng.choice([32, 64, 96, 128, 192, 256, 384, 512])
        widths.append(max(need, base - base % need))
    kernels = [rng.choice([1, 1, 3]) for _ in range(n)]
    gaps = []
    for i in range(n - 1):
        w = widths[i + 1]
        choices = ["s", "i"] + [str(d) for d in (2, 4, 8) if w % d == 0]
        gaps.append(rng.choice(choices))
    spec = f"chain:W={'/'.join(map(str, widths))},G={'/'.join(map(str, groups))},k={'/'.join(map(str, kernels))}"
    return spec + (f",P={'/'.join(gaps)}" if gaps else "")


def block_list(args) -> list[tuple[str, str]]:
    """(section, spec) for every block to measure."""
    blocks = []
    for budget in args.budgets:
        for r in widest_all(budget, 3):
            if r.spec and r.family in FAMILIES:
                blocks.append((f"widest {budget:.0e}", r.spec))
    for L, M in IGCV1_NEAR_128[: args.igcv1]:
        blocks.append(("igcv1 ≈ 128", f"igcv1:L={L},M={M},k=3"))
    rng = random.Random(args.seed)
    for _ in range(args.random):
        blocks.append(("random chain", random_chain_spec(rng)))
    return blocks


def machine_profile(threads: int, dtype: str):
    fp = Fingerprint(device_name("cpu"), str(torch.__version__), threads, dtype)
    lookup = find_profile(fp)
    if lookup.profile:
        return lookup.profile
    print(f"{lookup.message}: calibrating first", file=sys.stderr)
    profile = calibrate("cpu", threads, dtype, progress=lambda d, t, what: print(f"\r calibrate {d}/{t} {what:20}", end="", file=sys.stderr))
    print(file=sys.stderr)
    save_profile(profile)
    return profile


def quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], 0.0
    q = statistics.quantiles(values, n=4, method="inclusive")
    return statistics.median(values), q[2] - q[0]


def measure(section: str, spec: str, batch: int, args, profile, threads: int) -> dict | None:
    block = parse_block(spec)
    chain = block.chain
    cin = next(layer.cin for layer in chain if hasattr(layer, "cin"))
    widest_map = max(getattr(layer, "cout", getattr(layer, "width", 0)) for layer in chain)
    map_mib = batch * max(cin, widest_map) * args.hw**2 * 4 / 2**20
    row = {"section": section, "spec": block.spec, "family": block.family, "width": block.width, "batch": batch}
    if map_mib > args.max_map_mib:
        return {**row, "skipped": f"map {map_mib:,.0f} MiB > --max-map-mib {args.max_map_mib:g}"}
    torch.manual_seed(0)
    plain = chain_module(chain).eval()
    x = torch.randn(batch, cin, args.hw, args.hw)
    store = ProfileStore(profile)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        plan, _ = choose_plan(chain, x, store=store)
    finally:
        torch.set_num_threads(previous)
    fast = fast_module(chain, plan=plan).load_plain(plain).eval()
    with torch.inference_mode():
        err = (plain(x) - fast(x)).abs().max().item()
    plain_ms, fast_ms, plain_best, fast_best = [], [], [], []
    pair = ((plain, plain_ms, plain_best), (fast, fast_ms, fast_best))
    for r in range(args.rounds):  # interleaved, in turns: load, drift or going first hits both alike
        for module, medians, bests in (pair if r % 2 == 0 else pair[::-1]):
            timing = time_module(module, x, device="cpu", threads=threads, min_time=args.min_time)
            medians.append(timing.latency_ms)
            bests.append(timing.min_s * 1e3)
    floor_ms = block_floor(block, args.hw, profile, "float32", batch).floor_ms
    bound = block_floor(block, args.hw, profile, "float32", batch).bound
    # figures from the least disturbed block of calls of each module (other work only adds
    # time); the IQR over rounds of the per-round median ratios says how noisy the machine was
    best_plain, best_fast = min(plain_best), min(fast_best)
    ratio, ratio_iqr = best_fast / best_plain, quartiles([f / p for f, p in zip(fast_ms, plain_ms)])[1]
    to_floor, floor_iqr = best_fast / floor_ms, quartiles([f / floor_ms for f in fast_ms])[1]
    plain_floor = best_plain / floor_ms
    if section.startswith("widest") and block.family in ("igcv1", "igcv2", "igcv3"):
        row["steps"] = step_times(fast, x, threads, args.min_time / 2)
        row["layer_floors"] = layer_floor_rows(block, args.hw, profile, batch)
        row["map_mib"] = map_mib
    return {**row, "plan": plan, "max_abs_diff": err, "plain_ms": best_plain, "fast_ms": best_fast,
            "plain_median_ms": statistics.median(plain_ms), "fast_median_ms": statistics.median(fast_ms),
            "plain_iqr_ms": quartiles(plain_ms)[1], "fast_iqr_ms": quartiles(fast_ms)[1],
            "fast_over_plain": ratio, "fast_over_plain_iqr": ratio_iqr, "floor_ms": floor_ms, "bound": bound,
            "fast_over_floor": to_floor, "fast_over_floor_iqr": floor_iqr, "plain_over_floor": plain_floor,
            "profile": store.profile}


def step_times(fast, x, threads: int, min_time: float) -> list[tuple[str, float]]:
    """(plan word, least ms per call) for each step of the fast module, each timed on its own input."""
    out = []
    with torch.inference_mode():
        for word, step in zip(fast.plan, fast.steps):
            out.append((word, time_module(step, x, device="cpu", threads=threads, min_time=min_time).min_s * 1e3))
            x = step(x)
        if len(fast.post):
            out.append(("BN/ReLU", time_module(fast.post, x, device="cpu", threads=threads, min_time=min_time).min_s * 1e3))
    return out


def layer_floor_rows(block, hw: int, profile, batch: int) -> list[tuple[str, float, float, str]]:
    """(layer name, compute ms, memory ms, bound) per layer that moves data, in chain order."""
    rows = []
    for layer, f in zip(block.chain, layer_floors(((layer, hw * hw) for layer in block.chain), profile, "float32", batch)):
        if f is not None:
            rows.append((layer.name, f.compute_s * 1e3, f.memory_s * 1e3, f.bound))
    return rows


def load() -> float:
    return round(os.getloadavg()[0], 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10⁴ and 10⁵ only, 4 IGCV1 and 8 random blocks, 2 rounds, maps ≤ 256 MiB")
    parser.add_argument("--budgets", default="10000,100000,1000000")
    parser.add_argument("--batches", default="1,32")
    parser.add_argument("--hw", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--random", type=int, default=30)
    parser.add_argument("--igcv1", type=int, default=len(IGCV1_NEAR_128))
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--max-map-mib", type=float, default=1024)
    parser.add_argument("--out", default=str(ROOT / "reports" / "fast_modules_cpu.md"))
    args = parser.parse_args()
    if args.quick:
        args.budgets, args.random, args.igcv1, args.rounds = "10000,100000", min(args.random, 8), 4, min(args.rounds, 2)
        args.max_map_mib = min(args.max_map_mib, 256)
    args.budgets = [int(float(b)) for b in args.budgets.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    threads = args.threads or torch.get_num_threads()
    profile = machine_profile(threads, "float32")
    blocks = block_list(args)
    rows, loads = [], [load()]
    out = Path(args.out)
    plan = [(section, spec, b) for b in batches for section, spec in blocks]
    for i, (section, spec, batch) in enumerate(plan):
        print(f"\r[{i + 1}/{len(plan)}] {spec[:50]:50} ×{batch} (load {load():.2f})", end="", file=sys.stderr, flush=True)
        row = measure(section, spec, batch, args, profile, threads)
        if "profile" in row:
            profile = row.pop("profile")
        rows.append(row)
        loads.append(load())
        # the report is rewritten after every row: a run stopped early leaves the rows it measured
        left = [f"`{s}` ×{b}" for _, s, b in plan[i + 1:]]
        write_csv(out.with_suffix(".csv"), rows)
        write_markdown(out, args, rows, profile, threads, loads, batches, left)
    print(file=sys.stderr)
    print(f"wrote {out} and {out.with_suffix('.csv')}", file=sys.stderr)


FIELDS = ("section", "spec", "family", "width", "batch", "plan", "plain_ms", "plain_median_ms", "plain_iqr_ms", "fast_ms",
          "fast_median_ms", "fast_iqr_ms",
          "fast_over_plain", "fast_over_plain_iqr", "floor_ms", "bound", "fast_over_floor", "fast_over_floor_iqr",
          "plain_over_floor", "max_abs_diff", "skipped")


def write_csv(path: Path, rows) -> None:
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def write_markdown(path: Path, args, rows, profile, threads, loads, batches, left=()) -> None:
    measured = [r for r in rows if "skipped" not in r]
    skipped = [r for r in rows if "skipped" in r]
    lines = [
        "# Fast modules against plain modules and the floor (CPU)",
        "",
        "Generated by `benchmarks/bench_fast_modules.py` "
        f"(`--rounds {args.rounds} --min-time {args.min_time} --hw {args.hw}{' --quick' if args.quick else ''}`); rerun it to refresh. "
        f"Raw rows: `{path.with_suffix('.csv').name}`.",
        "",
        f"- machine: {profile.fingerprint.describe()}, {os.cpu_count()} CPUs; measured {dt.date.today().isoformat()}",
        f"- profile: copy {profile.copy_bytes_per_s / 1e9:.2f} GB/s, triad {profile.triad_bytes_per_s / 1e9:.2f} GB/s, "
        f"matmul {profile.matmul_macs_per_s / 1e9:.1f} GMAC/s, dense conv {profile.conv_macs_per_s / 1e9:.1f} GMAC/s, "
        f"call {profile.call_s * 1e6:.1f} µs (calibrated {profile.created}, load then {profile.load_average})",
        f"- 1-minute load average during the run: {min(loads):.2f} – {max(loads):.2f} on {os.cpu_count()} CPUs",
        f"- each row: {args.rounds} interleaved rounds (plain then fast, fast then plain in turns), blocked_autorange for {args.min_time} s each; "
        "ms = the least time per call over all blocks of calls (the block least disturbed by other work, which only adds "
        "time; the medians are in the CSV), ratios of those; ± = the IQR over rounds of the per-round median ratios "
        "(the machine's noise); the fast module's plan was chosen by a short measurement "
        "(igcdesign.probe.tune) and its output checked against the plain module's",
        "- floor: per layer max(mult_adds / peak, mem_access × 4 B / bandwidth) + call cost, summed; maps that fit in "
        "the caches can run below it (the bandwidth is main memory's)",
        "",
    ]
    for b in batches:
        lines += [f"## Batch {b}", "",
                  "| section | spec | plan | plain ms | fast ms | fast / plain | floor ms | bound | fast / floor | plain / floor |",
                  "|---|---|---|---:|---:|---:|---:|:-:|---:|---:|"]
        for r in [r for r in measured if r["batch"] == b]:
            lines.append(
                f"| {r['section']} | `{r['spec']}` | {r['plan']} | {r['plain_ms']:.3f} | {r['fast_ms']:.3f} | "
                f"{r['fast_over_plain']:.2f} ± {r['fast_over_plain_iqr']:.2f} | {r['floor_ms']:.3f} | {r['bound']} | "
                f"{r['fast_over_floor']:.2f} ± {r['fast_over_floor_iqr']:.2f} | {r['plain_over_floor']:.2f} |")
        lines.append("")
    lines += ["## Targets", ""] + (targets(measured, batches) if measured else ["- nothing measured yet"])
    lines += breakdown(measured)
    if skipped:
        lines += ["", "## Skipped", ""] + [f"- `{r['spec']}` ×{r['batch']}: {r['skipped']}" for r in skipped]
    if left:
        lines += ["", f"## Not measured: the run stopped after {len(rows)} rows", "", ", ".join(left)]
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def breakdown(rows) -> list[str]:
    """Per widest IGC block: the fast module's steps, timed one by one, beside its layers' floors."""
    cache = last_level_cache_bytes()
    out = ["", "## Where the time goes (widest IGC blocks, fast module step by step)", "",
           f"Each step timed alone on its real input (least time per call over blocked_autorange blocks); the floor per layer from the profile "
           f"(compute = mult_adds / peak, memory = mem_access × 4 B / bandwidth, plus the call cost). Last-level cache: "
           f"{cache / 2**20:.0f} MiB; a map smaller than that can be read faster than the main-memory bandwidth the floor assumes."
           if cache else "Each step timed alone on its real input; the floor per layer from the profile.", ""]
    for r in rows:
        if "steps" not in r:
            continue
        total = sum(ms for _, ms in r["steps"])
        out.append(f"- `{r['spec']}` ×{r['batch']} ({r['plan']}; largest map {r['map_mib']:.1f} MiB): fast {r['fast_ms']:.3f} ms, "
                   f"steps sum {total:.3f} ms, floor {r['floor_ms']:.3f} ms")
        out.append("  - steps: " + "; ".join(f"{word} {ms:.3f}" for word, ms in r["steps"]))
        out.append("  - floors: " + "; ".join(f"{name} {max(c, m):.3f} ({bound})" for name, c, m, bound in r["layer_floors"]))
    return out if len(out) > 4 else []


def targets(rows, batches) -> list[str]:
    out = []
    slower = [r for r in rows if r["fast_over_plain"] > TARGET_RATIO]
    worst = max(rows, key=lambda r: r["fast_over_plain"])
    out.append(f"- no block slower than plain (fast / plain ≤ {TARGET_RATIO}): "
               + ("met" if not slower else f"NOT met for {len(slower)} of {len(rows)} rows: "
                  + ", ".join(f"`{r['spec']}` ×{r['batch']} {r['fast_over_plain']:.2f} ± {r['fast_over_plain_iqr']:.2f}" for r in slower))
               + f" (worst {worst['fast_over_plain']:.2f}, `{worst['spec']}` ×{worst['batch']})")
    for family in ("igcv2", "igcv1"):
        widest = [r for r in rows if r["family"] == family and r["section"].startswith("widest") and r["batch"] == 1]
        for r in widest:
            speedup = 1 / r["fast_over_plain"]
            verdict = "met" if speedup >= TARGET_SPEEDUP else "NOT met"
            out.append(f"- {family} widest ({r['section']}) ≥ {TARGET_SPEEDUP:g}× faster than plain at batch 1: {verdict} "
                       f"({speedup:.2f}×, `{r['spec']}`)")
    memory = [r for r in rows if r["bound"] == "memory"]
    far = [r for r in memory if r["fast_over_floor"] > TARGET_FLOOR]
    out.append(f"- memory-bound blocks within {TARGET_FLOOR:g}× of their floor: {len(memory) - len(far)} of {len(memory)}"
               + ("" if not far else "; not: " + ", ".join(f"`{r['spec']}` ×{r['batch']} {r['fast_over_floor']:.2f}" for r in far)))
    near = [r for r in memory if r["fast_over_floor"] <= 1.3]
    out.append(f"- moonshot, within 1.3× of the floor: {len(near)} of {len(memory)} memory-bound rows")
    return out


if __name__ == "__main__":
    main()
