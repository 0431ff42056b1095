"""Write reports/latency_cpu.md (+ .csv): measured latency of the widest blocks per budget.

For each budget (10⁴ and 10⁵ params by default) the widest IGCV1, IGCV2 and IGCV3 blocks and
the widest dwsep unit (igcdesign.search.widest_all, the numbers `igcdesign widest` prints) are
timed against the widest regular conv of the same budget, measured in the same run, at batch
1 and 32. Two more tables probe multiples of 8: IGCV1 blocks of about the same width whose
group sizes (M channels per primary group, L per secondary group) are or are not multiples of
8, and single 3×3 group convs of about the same width with different group sizes.

Every block is timed in both implementations (`--impls plain,fast`: one nn.Conv2d per conv, and
igcdesign.probe.fast's batched products with a tuned plan) beside its floor on this machine's
profile (`igcdesign calibrate`; the script calibrates first when there is none), and the report
says where the floor of a design is above the regular conv's measured latency: there no kernel
can make the design win on this machine.

    .venv/bin/python benchmarks/bench_probe_latency.py [--hw 32] [--batches 1,32] [--rounds 3]
        [--min-time 0.3] [--threads N] [--impls plain,fast] [--out reports/latency_cpu.md]

Every figure in the report comes from this run; rerun it to refresh the report on a machine.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from igcdesign.probe.device import cpu_model
from igcdesign.probe.measure import ProbeSettings, probe
from igcdesign.search import widest_all

ROOT = Path(__file__).resolve().parents[1]
# IGCV1 blocks with width L·M close to 128: (L, M) pairs, both orders where they differ.
IGCV1_NEAR_128 = [(8, 16), (16, 8), (4, 32), (32, 4), (2, 64), (64, 2), (9, 14), (14, 9), (7, 18),
                  (18, 7), (6, 21), (21, 6), (10, 13), (13, 10)]
# Single 3×3 group convs, group size s, with width s·n close to 128.
GROUP_SIZES = (4, 6, 7, 8, 9, 10, 12, 14, 15, 16, 24, 32)


def memory_gib() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return float("nan")


def run(specs, settings, baseline, label, progress_label):
    def progress(done, total, what):
        print(f"\r[{progress_label}] {done}/{total} {what:60.60}", end="", file=sys.stderr, flush=True)

    doc = probe(specs, settings, baseline=baseline, progress=progress)
    print(file=sys.stderr)
    for row in doc["results"]:
        row["section"] = label
    return doc


def fmt_ms(row) -> str:
    """Median ± IQR; '± ?' where a single timed block left no spread to measure."""
    spread = "?" if row.get("blocks", 2) < 2 else f"{row['iqr_ms']:.3f}"
    return f"{row['latency_ms']:.3f} ± {spread}"


def is_mult8(n: int) -> bool:
    return n % 8 == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hw", type=int, default=32)
    parser.add_argument("--batches", default="1,32")
    parser.add_argument("--budgets", default="10000,100000")
    parser.add_argument("--kernel", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (e.g. --device cuda --out reports/latency_cuda.md)")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--min-time", type=float, default=0.3)
    parser.add_argument("--impls", default="plain,fast", help="implementations to time: plain, fast or plain,fast")
    parser.add_argument("--out", default=str(ROOT / "reports" / "latency_cpu.md"))
    parser.add_argument("--quiet-load", type=float, default=0.7, help="wait for a 1-minute load below this first")
    parser.add_argument("--wait", type=float, default=600, help="seconds to wait for it at most")
    args = parser.parse_args()
    wait_for_quiet(args.quiet_load, args.wait)
    batches = tuple(int(b) for b in args.batches.split(","))
    budgets = [int(b) for b in args.budgets.split(",")]
    impls = tuple(args.impls.split(","))
    settings = ProbeSettings(hw=args.hw, batches=batches, threads=args.threads, device=args.device,
                             dtype=args.dtype, channels_last=args.channels_last,
                             min_time=args.min_time, rounds=args.rounds, impls=impls)
    ensure_profile(settings)

    docs = []
    for budget in budgets:
        found = {r.family: r for r in widest_all(budget, args.kernel)}
        specs = [found[f].spec for f in ("dwsep", "igcv1", "igcv2", "igcv3") if found[f].spec]
        docs.append((budget, run(specs, settings, found["regular"].spec, f"widest {budget}", f"{budget:.0e}")))
    igcv1_doc = run([f"igcv1:L={L},M={M},k=3" for L, M in IGCV1_NEAR_128], settings, None, "igcv1 near 128", "igcv1")
    group_specs = []
    for s in GROUP_SIZES:
        n = max(1, round(128 / s))
        group_specs.append(f"chain:W={s * n}/{s * n},G={n},k=3")
    group_doc = run(group_specs, settings, None, "group conv near 128", "group conv")
    all_docs = [d for _, d in docs] + [igcv1_doc, group_doc]

    out = Path(args.out)
    write_csv(out.with_suffix(".csv"), all_docs)
    write_markdown(out, args, batches, docs, igcv1_doc, group_doc)
    print(f"wrote {out} and {out.with_suffix('.csv')}", file=sys.stderr)


def ensure_profile(settings) -> None:
    """Calibrate this machine for the run's fingerprint when no profile exists (the floors need one)."""
    import torch

    from igcdesign.probe.calibrate import calibrate
    from igcdesign.probe.device import device_name, resolve_device
    from igcdesign.profile import Fingerprint, find_profile, save_profile

    device = resolve_device(settings.device)
    threads = settings.threads or torch.get_num_threads()
    lookup = find_profile(Fingerprint(device_name(device), str(torch.__version__), threads, settings.dtype))
    if lookup.profile is None:
        print(f"{lookup.message}: calibrating first", file=sys.stderr)
        save_profile(calibrate(device, threads, settings.dtype))


CSV_FIELDS = ("section", "spec", "impl", "plans", "family", "width", "params", "params_torch", "mult_adds", "batch", "hw",
              "latency_ms", "iqr_ms", "gmacs", "ratio_to_baseline", "floor_ms", "ratio_to_floor", "is_baseline", "blocks",
              "calls_per_block",
              "round_medians_ms")


def write_csv(path: Path, docs) -> None:
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for doc in docs:
            for row in doc["results"]:
                row = dict(row)
                row["round_medians_ms"] = " ".join(f"{x:.4f}" for x in row["round_medians_ms"])
                row["plans"] = "/".join(row.get("plans") or [])
                writer.writerow(row)
    tmp.replace(path)


def write_markdown(path: Path, args, batches, docs, igcv1_doc, group_doc) -> None:
    first = docs[0][1]
    loads = [x for _, d in docs for x in d["load_average"]] + igcv1_doc["load_average"] + group_doc["load_average"]
    lines = [
        f"# Measured latency on this machine ({first['device'].split(':')[0].upper()})",
        "",
        "Generated by `benchmarks/bench_probe_latency.py` "
        f"(`--hw {args.hw} --batches {args.batches} --rounds {args.rounds} --min-time {args.min_time}"
        f"{f' --threads {args.threads}' if args.threads else ''}`); "
        f"rerun it to refresh. Raw rows: `{path.with_suffix('.csv').name}` beside this file.",
        "",
        f"- machine: {cpu_model()}, {os.cpu_count()} CPUs, {memory_gib():.0f} GiB RAM, {platform.system()} {platform.machine()}"
        + (f"; device {first['device']}" if not first["device"].startswith("cpu") else ""),
        f"- torch {first['torch']}, {first['threads']} intra-op thread{'s' if first['threads'] != 1 else ''}, {first['dtype']}, "
        f"{'channels-last (NHWC)' if first['channels_last'] else 'contiguous (NCHW)'} layout, "
        f"output map {args.hw}×{args.hw}, inference_mode",
        f"- timing: torch.utils.benchmark blocked_autorange, {args.min_time} s per measurement after warm-up; "
        f"{args.rounds} rounds of the whole plan, each row keeps its lowest-median round; ± is the IQR of that round",
        f"- 1-minute load average seen during the run: {min(loads):.2f} – {max(loads):.2f} "
        "(it counts the probe's own threads; above the number of CPUs, other work competed for the cores)",
        f"- measured {dt.date.today().isoformat()}",
    ]
    cpus = os.cpu_count() or 1
    if max(loads) > cpus + 0.5:
        lines.append(
            f"- caution: the load exceeded the {cpus} CPUs, so other work shared the cores with the probe's "
            f"{first['threads']} thread(s); the lowest-median round removes much of that, not all of it: "
            "read ratios and throughput patterns, not single milliseconds"
        )
    profile = first.get("profile") or "no machine profile (no floors)"
    lines += [
        f"- floor: the roofline floor of each block on {profile}: per layer max(mult_adds / peak, mem_access × bytes / "
        "bandwidth) + call cost, summed; × floor = latency / floor (below 1 where maps stay in the caches)",
        "",
        "Latency is the median time of one call for the whole batch (± ? where one timed block left no spread), for the plain "
        "module (one nn.Conv2d per conv) and the fast one (igcdesign.probe.fast, its plan in brackets: cl = grouped k×k "
        "channels-last, mm = 1×1 convs as matrix products, sv = one product per group on strided views, sp = grouped k×k convs as one product per tap on shifted views, conv = the plain kernels); × regular is the fast latency over the "
        "widest regular conv's (its own fastest implementation) of the same budget at the same batch, in the same run.",
        "",
    ]
    for budget, doc in docs:
        lines += [f"## Widest blocks for {budget:,} params (k = {args.kernel})", ""]
        header = "| family | spec | width | params | mult_adds / sample |"
        rule = "|---|---|---:|---:|---:|"
        for b in batches:
            header += f" batch {b}: plain ms | fast ms | fast / plain | floor ms | fast × floor | × regular |"
            rule += "---:|---:|---:|---:|---:|---:|"
        lines += [header, rule]
        by_spec = rows_by_spec(doc)
        for spec, mine in by_spec.items():
            r0 = next(iter(mine.values()))
            line = f"| {r0['family']} | `{spec}` | {r0['width']:,} | {r0['params']:,} | {r0['mult_adds']:,} |"
            for b in batches:
                line += batch_cells(mine, b, regular_best(doc, b))
            lines.append(line)
        lines.append("")
        lines += widest_findings(doc, batches)
    lines += floor_findings([d for _, d in docs], batches)
    lines += igcv1_section(igcv1_doc, batches)
    lines += group_section(group_doc, batches)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def best(mine: dict, b: int) -> dict:
    """The faster implementation's row of one spec at batch b."""
    return min((r for (batch, _), r in mine.items() if batch == b), key=lambda r: r["latency_ms"])


def regular_best(doc, b: int) -> float | None:
    rows = [r["latency_ms"] for r in doc["results"] if r["is_baseline"] and r["batch"] == b]
    return min(rows) if rows else None


def batch_cells(mine: dict, b: int, regular_ms: float | None) -> str:
    """plain ms | fast ms | fast / plain | floor ms | fast × floor | × regular, for one spec at batch b."""
    plain, fast = mine.get((b, "plain")), mine.get((b, "fast"))
    floor = (fast or plain)["floor_ms"]
    cells = [fmt_ms(plain) if plain else "–", (fmt_ms(fast) + f" ({'/'.join(fast.get('plans') or [])})") if fast else "–",
             f"{fast['latency_ms'] / plain['latency_ms']:.2f}" if plain and fast else "–",
             f"{floor:.3f}" if floor else "–",
             f"{fast['ratio_to_floor']:.2f}" if fast and floor else "–",
             f"{best(mine, b)['latency_ms'] / regular_ms:.2f}" if regular_ms else "–"]
    return " " + " | ".join(cells) + " |"


def floor_findings(docs, batches) -> list[str]:
    """Where a design's floor is above the regular conv's measured latency: no kernel can win there."""
    out = ["## Where the floor itself is above the regular conv", "",
           "A block whose floor (the least time its layers' traffic and arithmetic need on this machine) exceeds what "
           "the widest regular conv of the same budget actually takes cannot beat that conv here, whatever the kernel: "
           "the design, not the implementation, is slower.", ""]
    found = False
    for doc in docs:
        for b in batches:
            regular_ms = regular_best(doc, b)
            for spec, mine in rows_by_spec(doc).items():
                row = best(mine, b)
                if row["is_baseline"] or not row.get("floor_ms") or regular_ms is None:
                    continue
                if row["floor_ms"] > regular_ms:
                    found = True
                    out.append(f"- `{spec}` at batch {b}: floor {row['floor_ms']:.3f} ms > regular conv "
                               f"{regular_ms:.3f} ms ({row['floor_ms'] / regular_ms:.2f}×; measured {row['latency_ms']:.3f} ms)")
    if not found:
        out.append("- none: every block's floor is below the regular conv's latency (a good enough kernel could win)")
    return out + [""]


def widest_findings(doc, batches) -> list[str]:
    out = []
    by_spec = rows_by_spec(doc)
    for b in batches:
        rows = [best(mine, b) for mine in by_spec.values()]
        rows = [r for r in rows if not r["is_baseline"]]
        regular_ms = regular_best(doc, b)
        fastest = min(rows, key=lambda r: r["latency_ms"])
        slowest = max(rows, key=lambda r: r["latency_ms"])
        widest = max(rows, key=lambda r: r["width"])
        out.append(
            f"- batch {b} (each block's faster implementation): fastest {fastest['family']} "
            f"({fastest['latency_ms'] / regular_ms:.2f}× regular), slowest {slowest['family']} "
            f"({slowest['latency_ms'] / regular_ms:.2f}× regular); the widest, {widest['family']} at {widest['width']:,} "
            f"channels, runs at {widest['gmacs']:.1f} GMAC/s."
        )
    return out + [""]


def impls_of(doc) -> list[str]:
    return list(dict.fromkeys(r.get("impl", "plain") for r in doc["results"]))


def batch_header(header: str, rule: str, batches, impls) -> list[str]:
    """A markdown header and rule with an 'ms ± IQR | GMAC/s' pair of columns per batch and impl."""
    for b in batches:
        for impl in impls:
            header += f" b{b} {impl}: ms ± IQR | GMAC/s |"
            rule += "---:|---:|"
    return [header, rule]


def impl_cells(mine: dict, b: int, impls) -> str:
    return "".join(f" {fmt_ms(mine[b, i])} | {mine[b, i]['gmacs']:.1f} |" for i in impls)


def rows_by_spec(doc) -> dict:
    """spec → {(batch, impl) → result row}."""
    by_spec: dict = {}
    for r in doc["results"]:
        by_spec.setdefault(r["spec"], {})[r["batch"], r.get("impl", "plain")] = r
    return by_spec


def igcv1_section(doc, batches) -> list[str]:
    lines = [
        "## Multiples of 8: IGCV1 blocks of width ≈ 128",
        "",
        "Primary 3×3 group conv: L groups of M channels; secondary 1×1 group conv: M groups of L channels. "
        "Params and mult_adds differ between rows, so compare GMAC/s (work done per second).",
        "",
    ]
    impls = impls_of(doc)
    lines += batch_header("| L | M | width | M mult. of 8 | L mult. of 8 | params | mult_adds / sample |",
                          "|---:|---:|---:|:-:|:-:|---:|---:|", batches, impls)
    by_spec = rows_by_spec(doc)
    for L, M in IGCV1_NEAR_128:
        mine = by_spec[f"igcv1:L={L},M={M},k=3"]
        r0 = next(iter(mine.values()))
        line = (f"| {L} | {M} | {L * M} | {'yes' if is_mult8(M) else 'no'} | {'yes' if is_mult8(L) else 'no'} | "
                f"{r0['params']:,} | {r0['mult_adds']:,} |")
        for b in batches:
            line += impl_cells(mine, b, impls)
        lines.append(line)
    lines.append("")
    for b in batches:
        for impl in impls:
            groups = {"both": [], "one": [], "neither": []}
            for L, M in IGCV1_NEAR_128:
                key = {2: "both", 1: "one", 0: "neither"}[is_mult8(L) + is_mult8(M)]
                groups[key].append(by_spec[f"igcv1:L={L},M={M},k=3"][b, impl]["gmacs"])
            parts = [f"{k}: {statistics.median(v):.1f} GMAC/s (n={len(v)})" for k, v in groups.items() if v]
            lines.append(f"- batch {b}, {impl}: median throughput by how many of L, M are multiples of 8 — " + "; ".join(parts) + ".")
    lines.append("")
    return lines


def group_section(doc, batches) -> list[str]:
    lines = [
        "## Multiples of 8: one 3×3 group conv of width ≈ 128, by group size",
        "",
        "A single k×k group conv (`chain:W=C/C,G=n,k=3`, group size s = C/n): the IGCV1 primary conv alone.",
        "",
    ]
    impls = impls_of(doc)
    lines += batch_header("| group size s | groups n | width | mult. of 8 |", "|---:|---:|---:|:-:|", batches, impls)
    by_spec = rows_by_spec(doc)
    sizes = {}
    for spec, mine in by_spec.items():
        r0 = next(iter(mine.values()))
        n = int(spec.split("G=")[1].split(",")[0])
        s = sizes[spec] = r0["width"] // n
        line = f"| {s} | {n} | {r0['width']} | {'yes' if is_mult8(s) else 'no'} |"
        for b in batches:
            line += impl_cells(mine, b, impls)
        lines.append(line)
    lines.append("")
    for b in batches:
        for impl in impls:
            yes = [m[b, impl]["gmacs"] for spec, m in by_spec.items() if is_mult8(sizes[spec])]
            no = [m[b, impl]["gmacs"] for spec, m in by_spec.items() if not is_mult8(sizes[spec])]
            lines.append(f"- batch {b}, {impl}: median {statistics.median(yes):.1f} GMAC/s for group sizes that are multiples "
                         f"of 8 (n={len(yes)}) against {statistics.median(no):.1f} for the others (n={len(no)}).")
    lines.append("")
    return lines


def wait_for_quiet(threshold: float, timeout: float) -> float:
    """Wait until the 1-minute load average is below `threshold` (or `timeout` s); the load then."""
    start = time.monotonic()
    load = os.getloadavg()[0]
    while load >= threshold and time.monotonic() - start < timeout:
        print(f"\rwaiting for a quiet machine: load {load:.2f} ≥ {threshold}", end="", file=sys.stderr, flush=True)
        time.sleep(5)
        load = os.getloadavg()[0]
    print(file=sys.stderr)
    return load


if __name__ == "__main__":
    main()
