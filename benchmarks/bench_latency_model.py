"""The latency model's accuracy on this machine: reports/latency_model_cpu.md (+ .csv).

Random blocks of every family (regular, dwsep, igcv1, igcv2, igcv3, mobilenetv2, shufflenetv1,
chain) on input maps of side 8–56, at batch 1 and 8, none of whose layer shapes (every step of
every plan of the fast module) is in the profile's layer table: each is predicted by
igcdesign.latency.predict (so every step is interpolated from the seeding grid), then measured
as `igcdesign probe` measures it (the fast module, its plan tuned, blocked_autorange median).
Reported: MAPE, the share within ±10 % and ±20 %, Spearman's ρ, per family, per batch and
overall; and the box's own repeatability: a subset of the blocks measured a second time, later
in the same run, and compared with the first measurement (the noise floor no model can beat).
The overall figures are stored in the profile (``latency_accuracy``), so that every prediction
prints them. The load average is recorded before and after.

The profile is this machine's (``igcdesign calibrate`` first; IGCDESIGN_CACHE_DIR points
elsewhere); its layer table is seeded from the grid when empty (or with --seed).

    .venv/bin/python benchmarks/bench_latency_model.py [--blocks 120] [--repeat 40]
        [--min-time 0.1] [--seed] [--rng 12] [--out reports/latency_model_cpu.md]

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
from dataclasses import replace
from pathlib import Path

from igcdesign.errors import IGCError
from igcdesign.families import parse_block
from igcdesign.latency import default_profile, predict, steps_of
from igcdesign.profile import LatencyAccuracy, ProfileStore, find_profile, profile_path

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("regular", "dwsep", "igcv1", "igcv2", "igcv3", "mobilenetv2", "shufflenetv1", "chain")
BATCHES = (1, 8)
MAX_FLOOR_MS = 2.0  # blocks whose floor exceeds this are redrawn: the run must fit in minutes


def mult8(rng: random.Random, low: int, high: int) -> int:
    return 8 * rng.randint(low // 8, high // 8)


def random_spec(family: str, rng: random.Random) -> str:
    """A random block spec of `family` (it may be invalid: the caller redraws)."""
    if family == "regular":
        return f"regular:C={mult8(rng, 16, 192)},k={rng.choice([1, 3, 3, 5])}"
    if family == "dwsep":
        return f"dwsep:C={mult8(rng, 16, 512)},k={rng.choice([3, 3, 5])}"
    if family == "igcv1":
        return f"igcv1:L={rng.choice([2, 3, 4, 6, 8, 12, 16, 24, 32])},M={rng.choice([2, 4, 6, 8, 12, 16, 24, 32])}"
    if family == "igcv2":
        k = [1] + [rng.choice([2, 4, 8, 16]) for _ in range(rng.choice([2, 2, 3]))]
        return f"igcv2:K={'x'.join(map(str, k))}"
    if family == "igcv3":
        g1, g2 = rng.choice([1, 2, 4]), rng.choice([1, 2, 4])
        return f"igcv3:C={mult8(rng, 16, 160)},t={rng.choice([2, 4, 6])},G1={g1},G2={g2}"
    if family == "mobilenetv2":
        return f"mobilenetv2:C={mult8(rng, 16, 160)},t={rng.choice([2, 4, 6])}"
    if family == "shufflenetv1":
        g = rng.choice([2, 3, 4, 8])
        return f"shufflenetv1:C={4 * g * rng.randint(2, 16)},g={g}"
    n = rng.randint(2, 4)
    groups = [rng.choice([1, 2, 4, 8, 16]) for _ in range(n)]
    ks = [rng.choice([1, 1, 3]) for _ in range(n)]
    widths = []
    for i in range(n + 1):
        need = 16 * max(groups[i - 1] if i else 1, groups[i] if i < n else 1)
        widths.append(need * rng.randint(1, max(1, 256 // need)))
    widths[-1] = widths[0] - widths[0] % (16 * groups[-1]) or 16 * groups[-1]
    widths[0] = widths[-1]
    gaps = "/".join(rng.choice(["s", "i", "s"]) for _ in range(n - 1))
    return (f"chain:W={'/'.join(map(str, widths))},G={'/'.join(map(str, groups))},k={'/'.join(map(str, ks))}"
            + (f",P={gaps}" if n > 1 else ""))


def draw(n: int, rng: random.Random, profile, table: set[str]) -> list[dict]:
    """n (spec, family, hw, batch) cases, families and batches in turn, none with a measured step."""
    cases, tries = [], 0
    while len(cases) < n:
        tries += 1
        if tries > 200 * n:
            raise SystemExit("could not draw enough blocks whose shapes are all unmeasured")
        family = FAMILIES[len(cases) % len(FAMILIES)]
        batch = BATCHES[(len(cases) // len(FAMILIES)) % len(BATCHES)]
        hw = rng.randint(8, 56)
        try:
            block = parse_block(random_spec(family, rng))
        except IGCError:
            continue
        steps = steps_of(block, hw=hw, batch=batch)
        if any(step.key in table for step in steps):
            continue
        prediction = predict(block, hw=hw, batch=batch, profile=profile)
        if prediction.floor_ms > MAX_FLOOR_MS or any(c["spec"] == block.spec and c["hw"] == hw and c["batch"] == batch for c in cases):
            continue
        bare = predict(block, hw=hw, batch=batch, profile=profile, composed=False)
        cases.append({"spec": block.spec, "family": family, "hw": hw, "batch": batch,
                      "predicted_ms": prediction.predicted_ms, "floor_ms": prediction.floor_ms,
                      "bare_ms": bare.predicted_ms, "block_factor": prediction.block_factor,
                      "predicted_plan": prediction.plan,
                      "sources": "/".join(sorted({layer.source for layer in prediction.layers}))})
    return cases


def measure(cases: list[dict], min_time: float, threads: int, label: str, rounds: int = 1) -> list[float]:
    """Measured ms of each case: the fast module, its plan chosen once by igcdesign.probe.tune,
    timed as the layer table was timed (igcdesign.probe.layer_latency.time_block: blocked_autorange's
    median, by CPU time with one thread); `rounds` rounds over all cases, the lowest kept."""
    from igcdesign.probe.layer_latency import time_block

    best: list[float] = [float("inf")] * len(cases)
    for r in range(rounds):
        for i, case in enumerate(cases):
            ms, case["plans"] = time_block(case["spec"], hw=case["hw"], batch=case["batch"], threads=threads,
                                           min_time=min_time, plan=case.get("plans"))
            best[i] = min(best[i], ms)
            if (i + 1) % 16 == 0 or i + 1 == len(cases):
                sys.stderr.write(f"{label}: round {r + 1}/{rounds}, {i + 1}/{len(cases)} measured\n")
    return best


def cpu_clock(fn, min_time: float) -> float:
    """calibrate's clock, by the process's CPU time: seconds per call of fn, at least twice and
    `min_time` CPU seconds (the layer table of a one-thread profile is timed by this clock)."""
    import time

    calls, start = 0, time.process_time()
    while True:
        fn()
        calls += 1
        elapsed = time.process_time() - start
        if calls >= 2 and elapsed >= min_time:
            return elapsed / calls


def recalibrate_by_cpu_time(profile):
    """The profile with its floor figures measured again by CPU time (its layer table kept), so
    that floors and layer latencies are measured by one clock on a loaded machine."""
    from igcdesign.probe.calibrate import calibrate

    fresh = calibrate("cpu", profile.fingerprint.threads, profile.fingerprint.dtype, clock=cpu_clock)
    figures = ("copy_bytes_per_s", "triad_bytes_per_s", "matmul_macs_per_s", "conv_macs_per_s", "call_s", "spread",
               "load_average", "sizes", "created")
    return replace(profile, **{name: getattr(fresh, name) for name in figures})


def ranks(values: list[float]) -> list[float]:
    """Ranks 1..n, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=values.__getitem__)
    result = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            result[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return result


def spearman(x: list[float], y: list[float]) -> float | None:
    """Spearman's ρ: Pearson's correlation of the ranks."""
    if len(x) < 3:
        return None
    rx, ry = ranks(x), ranks(y)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    var = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return cov / var if var else None


def summary(cases: list[dict]) -> dict:
    errors = [abs(c["error"]) for c in cases]
    return {
        "n": len(cases),
        "mape": statistics.fmean(errors),
        "within_10": sum(e <= 0.10 for e in errors) / len(errors),
        "within_20": sum(e <= 0.20 for e in errors) / len(errors),
        "spearman": spearman([c["predicted_ms"] for c in cases], [c["measured_ms"] for c in cases]),
        "median_signed": statistics.median(c["error"] for c in cases),
    }


def load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def fmt(s: dict) -> str:
    rho = "–" if s["spearman"] is None else f"{s['spearman']:.3f}"
    return (f"| {s['n']} | {100 * s['mape']:.1f} % | {100 * s['within_10']:.0f} % | {100 * s['within_20']:.0f} % | "
            f"{rho} | {100 * s['median_signed']:+.1f} % |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=40, help="blocks measured a second time (repeatability)")
    parser.add_argument("--min-time", type=float, default=0.1)
    parser.add_argument("--seed", action="store_true", help="measure the seeding grid even if the table has entries")
    parser.add_argument("--rng", type=int, default=12)
    parser.add_argument("--threads", type=int, default=None, help="use the profile calibrated with N threads")
    parser.add_argument("--rounds", type=int, default=2, help="grid shapes and blocks: rounds, the least disturbed kept")
    parser.add_argument("--wall-floor", action="store_true",
                        help="keep the profile's floor figures (default with one thread: measure them again by CPU time)")
    parser.add_argument("--out", default=str(ROOT / "reports" / "latency_model_cpu.md"))
    args = parser.parse_args()
    if not 100 <= args.blocks <= 2000 or not 0 <= args.repeat <= args.blocks:
        raise SystemExit("--blocks must be in [100, 2000] and --repeat in [0, blocks]")
    from igcdesign.probe.layer_latency import seed, seed_steps

    profile = default_profile(args.threads)
    path = profile_path(profile.fingerprint)
    store = ProfileStore(profile, path)
    load_start = load()
    from igcdesign.probe.layer_latency import uses_cpu_clock

    cpu_floor = uses_cpu_clock(profile.fingerprint.threads) and not args.wall_floor
    if cpu_floor:
        sys.stderr.write("calibrating the floor by CPU time\n")
        store.save(recalibrate_by_cpu_time(profile))
        profile = store.profile
    started = dt.datetime.now(dt.timezone.utc)
    if args.seed or not profile.layer_latency_ms:
        grid = seed_steps()

        def progress(done: int, total: int, what: str) -> None:
            if done % 50 == 0 or done == total:
                sys.stderr.write(f"seed: {done}/{total} {what}\n")

        t0 = dt.datetime.now()
        seed(store, rounds=args.rounds, progress=progress)
        seed_s = (dt.datetime.now() - t0).total_seconds()
        sys.stderr.write(f"seeded {len(grid)} grid shapes in {seed_s:.0f} s\n")
    else:
        seed_s = None
    factors_s = None
    if seed_s is not None or not store.profile.block_factors:
        from igcdesign.probe.layer_latency import calibrate_blocks

        t0 = dt.datetime.now()
        calibrate_blocks(store, progress=lambda done, total, what: done % 10 == 0 and sys.stderr.write(
            f"block factors: {done}/{total} {what}\n"))
        factors_s = (dt.datetime.now() - t0).total_seconds()
    profile = store.profile
    table = set(profile.layer_latency_ms)
    rng = random.Random(args.rng)
    cases = draw(args.blocks, rng, profile, table)
    threads = profile.fingerprint.threads
    load_mid = load()
    for case, ms in zip(cases, measure(cases, args.min_time, threads, "blocks", args.rounds)):
        case["measured_ms"] = ms
        case["error"] = case["predicted_ms"] / ms - 1
        case["bare_error"] = case["bare_ms"] / ms - 1
    repeat_idx = sorted(rng.sample(range(len(cases)), args.repeat))
    again = measure([cases[i] for i in repeat_idx], args.min_time, threads, "repeat", args.rounds) if repeat_idx else []
    load_end = load()
    for i, ms in zip(repeat_idx, again):
        cases[i]["measured_again_ms"] = ms
    overall = summary(cases)
    repeat_dev = [abs(cases[i]["measured_again_ms"] / cases[i]["measured_ms"] - 1) for i in repeat_idx]

    # the accuracy record every prediction prints (re-read: probe's tuner saved plan choices meanwhile)
    current = find_profile(profile.fingerprint).profile or store.profile
    accuracy = LatencyAccuracy(mape=overall["mape"], within_10=overall["within_10"], within_20=overall["within_20"],
                               spearman=overall["spearman"], n_blocks=overall["n"],
                               created=started.isoformat(timespec="seconds"), load_average=[load_start, load_end],
                               repeat_p90=statistics.quantiles(repeat_dev, n=10)[-1] if len(repeat_dev) >= 2 else None)
    ProfileStore(current, path).save(replace(current, latency_accuracy=accuracy))

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fields = ["family", "spec", "hw", "batch", "predicted_ms", "measured_ms", "error", "floor_ms", "predicted_plan",
              "plans", "sources", "measured_again_ms", "bare_ms", "bare_error", "block_factor"]
    with open(out.with_suffix(".csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for case in cases:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in case.items()})
    columns = "blocks | MAPE | within ±10 % | within ±20 % | Spearman ρ | median error |"

    def head(*first: str) -> list[str]:
        names = "".join(f"{name} | " for name in first)
        return [f"| {names}{columns}", "|" + "---|" * (len(first) + 6)]

    lines = [
        "# Latency model accuracy on this machine (CPU)",
        "",
        f"Generated by `benchmarks/bench_latency_model.py --blocks {args.blocks} --repeat {args.repeat} "
        f"--min-time {args.min_time} --rng {args.rng} --rounds {args.rounds}"
        + (f" --threads {args.threads}" if args.threads else "") + f"` on {started:%Y-%m-%d %H:%M} UTC.",
        f"Machine: {profile.fingerprint.describe()}; {os.cpu_count()} CPUs; load average {load_start} at the start, "
        f"{load_mid} after the seeding, {load_end} at the end (other work shared the cores).",
        f"Floor figures: {profile.peak / 1e9:.1f} GMAC/s peak, {profile.bandwidth / 1e9:.2f} GB/s, "
        f"{profile.call_s * 1e6:.1f} µs per call, "
        + ("measured again by CPU time in this run (the layers are timed by CPU time: one thread)." if cpu_floor
           else "from `igcdesign calibrate` (wall clock)."),
        f"Layer table: {len(table)} shapes, from the seeding grid and the calibration blocks"
        + (f" (grid measured in {seed_s:.0f} s in this run)" if seed_s is not None else "")
        + (f" (block factors measured in {factors_s:.0f} s)" if factors_s is not None else "")
        + "; no step of any block below (under any plan) is in it, so every prediction is interpolated.",
        "Block factors (median measured / Σ steps of each family's calibration blocks, "
        "igcdesign.probe.layer_latency.CALIBRATION_BLOCKS): "
        + ", ".join(f"{family} {statistics.median(r):.2f} (n {len(r)})" for family, r in sorted(profile.block_factors.items()))
        + ".",
        "",
        "Error = predicted / measured − 1; MAPE = mean |error|; measured = the fast module with the plan "
        "igcdesign.probe.tune picks, median of blocked_autorange, by the clock the layer table used "
        "(CPU time with one thread, igcdesign.probe.layer_latency.time_call); the lowest of the rounds.",
        "",
        "## Overall",
        "",
        *head("prediction"),
        "| steps × block factor " + fmt(overall),
        "| steps only " + fmt(summary([{**c, "error": c["bare_error"], "predicted_ms": c["bare_ms"]} for c in cases])),
        "",
        "## Per batch",
        "",
        *head("batch"),
    ]
    for batch in BATCHES:
        lines.append(f"| {batch} " + fmt(summary([c for c in cases if c["batch"] == batch])))
    lines += ["", "## Per family and batch", "", *head("family", "batch")]
    for family in FAMILIES:
        for batch in BATCHES:
            mine = [c for c in cases if c["family"] == family and c["batch"] == batch]
            if mine:
                lines.append(f"| {family} | {batch} " + fmt(summary(mine)))
    lines += [
        "",
        "## Repeatability of the box (the noise floor)",
        "",
        f"{len(repeat_idx)} of the blocks measured again at the end of the run, same settings: "
        + (f"median |second / first − 1| = {100 * statistics.median(repeat_dev):.1f} %, "
           f"mean {100 * statistics.fmean(repeat_dev):.1f} %, {100 * sum(d <= 0.1 for d in repeat_dev) / len(repeat_dev):.0f} % "
           f"within ±10 %, {100 * sum(d <= 0.2 for d in repeat_dev) / len(repeat_dev):.0f} % within ±20 %."
           if repeat_dev else "none."),
        "",
        "The goal was ≥ 90 % of blocks within ±10 % and ρ ≥ 0.95. "
        + ("It is met." if overall["within_10"] >= 0.9 and (overall["spearman"] or 0) >= 0.95 else
           f"It is missed by {max(0.0, 90 - 100 * overall['within_10']):.0f} points within ±10 % and "
           f"{max(0.0, 0.95 - (overall['spearman'] or 0)):.3f} in ρ; compare the repeatability above: a measurement "
           "of the same block repeated on this box lands within ±10 % of itself only that often."),
        "",
        f"Per-block rows: [{out.with_suffix('.csv').name}]({out.with_suffix('.csv').name}).",
        "",
    ]
    out.write_text("\n".join(lines), encoding="utf-8")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
