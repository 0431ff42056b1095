"""Write reports/latency_cpu.md (+ .csv): measured latency of the widest blocks per budget.

For each budget (10⁴ and 10⁵ params by default) the widest IGCV1, IGCV2 and IGCV3 blocks and
the widest dwsep unit (igcdesign.search.widest_all, the numbers `igcdesign widest` prints) are
timed against the widest regular conv of the same budget, measured in the same run, at batch
1 and 32. Two more tables probe multiples of 8: IGCV1 blocks of about the same width whose
group sizes (M channels per primary group, L per secondary group) are or are not multiples of
8, and single 3×3 group convs of about the same width with different group sizes.

    .venv/bin/python benchmarks/bench_probe_latency.py [--hw 32] [--batches 1,32] [--rounds 3]
        [--min-time 0.3] [--threads N] [--out reports/latency_cpu.md]

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
    parser.add_argument("--out", default=str(ROOT / "reports" / "latency_cpu.md"))
    parser.add_argument("--quiet-load", type=float, default=0.7, help="wait for a 1-minute load below this first")
    parser.add_argument("--wait", type=float, default=600, help="seconds to wait for it at most")
    args = parser.parse_args()
    wait_for_quiet(args.quiet_load, args.wait)
    batches = tuple(int(b) for b in args.batches.split(","))
    budgets = [int(b) for b in args.budgets.split(",")]
    settings = ProbeSettings(hw=args.hw, batches=batches, threads=args.threads, device=args.device,
                             dtype=args.dtype, channels_last=args.channels_last,
                             min_time=args.min_time, rounds=args.rounds)

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


CSV_FIELDS = ("section", "spec", "family", "width", "params", "params_torch", "mult_adds", "batch", "hw",
              "latency_ms", "iqr_ms", "gmacs", "ratio_to_baseline", "is_baseline", "blocks", "calls_per_block",
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
    lines += [
        "",
        "Latency is the median time of one call for the whole batch (± ? where one timed block left no spread); × regular is the latency ratio to the widest "
        "regular conv of the same budget at the same batch, measured in the same run; GMAC/s = batch × mult_adds / latency.",
        "",
    ]
    for budget, doc in docs:
        lines += [f"## Widest blocks for {budget:,} params (k = {args.kernel})", ""]
        header = "| family | spec | width | params | mult_adds / sample |"
        rule = "|---|---|---:|---:|---:|"
        for b in batches:
            header += f" batch {b}: ms ± IQR | × regular | GMAC/s |"
            rule += "---:|---:|---:|"
        lines += [header, rule]
        rows = doc["results"]
        for spec in dict.fromkeys(r["spec"] for r in rows):
            mine = {r["batch"]: r for r in rows if r["spec"] == spec}
            r0 = mine[batches[0]]
            line = f"| {r0['family']} | `{spec}` | {r0['width']:,} | {r0['params']:,} | {r0['mult_adds']:,} |"
            for b in batches:
                r = mine[b]
                line += f" {fmt_ms(r)} | {r['ratio_to_baseline']:.2f} | {r['gmacs']:.1f} |"
            lines.append(line)
        lines.append("")
        lines += widest_findings(doc, batches)
    lines += igcv1_section(igcv1_doc, batches)
    lines += group_section(group_doc, batches)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def widest_findings(doc, batches) -> list[str]:
    out = []
    for b in batches:
        rows = [r for r in doc["results"] if r["batch"] == b and not r["is_baseline"]]
        fastest = min(rows, key=lambda r: r["latency_ms"])
        slowest = max(rows, key=lambda r: r["latency_ms"])
        widest = max(rows, key=lambda r: r["width"])
        out.append(
            f"- batch {b}: fastest {fastest['family']} ({fastest['ratio_to_baseline']:.2f}× regular), "
            f"slowest {slowest['family']} ({slowest['ratio_to_baseline']:.2f}× regular); the widest, "
            f"{widest['family']} at {widest['width']:,} channels, runs at {widest['gmacs']:.1f} GMAC/s "
            f"against the regular conv's {next(r['gmacs'] for r in doc['results'] if r['is_baseline'] and r['batch'] == b):.1f}."
        )
    return out + [""]


def batch_header(header: str, rule: str, batches) -> list[str]:
    """A markdown header and rule with an 'ms ± IQR | GMAC/s' pair of columns per batch size."""
    for b in batches:
        header += f" batch {b}: ms ± IQR | GMAC/s |"
        rule += "---:|---:|"
    return [header, rule]


def rows_by_spec(doc) -> dict:
    """spec → {batch → result row}."""
    by_spec: dict = {}
    for r in doc["results"]:
        by_spec.setdefault(r["spec"], {})[r["batch"]] = r
    return by_spec


def igcv1_section(doc, batches) -> list[str]:
    lines = [
        "## Multiples of 8: IGCV1 blocks of width ≈ 128",
        "",
        "Primary 3×3 group conv: L groups of M channels; secondary 1×1 group conv: M groups of L channels. "
        "Params and mult_adds differ between rows, so compare GMAC/s (work done per second).",
        "",
    ]
    lines += batch_header("| L | M | width | M mult. of 8 | L mult. of 8 | params | mult_adds / sample |",
                          "|---:|---:|---:|:-:|:-:|---:|---:|", batches)
    by_spec = rows_by_spec(doc)
    for L, M in IGCV1_NEAR_128:
        mine = by_spec[f"igcv1:L={L},M={M},k=3"]
        r0 = mine[batches[0]]
        line = (f"| {L} | {M} | {L * M} | {'yes' if is_mult8(M) else 'no'} | {'yes' if is_mult8(L) else 'no'} | "
                f"{r0['params']:,} | {r0['mult_adds']:,} |")
        for b in batches:
            line += f" {fmt_ms(mine[b])} | {mine[b]['gmacs']:.1f} |"
        lines.append(line)
    lines.append("")
    for b in batches:
        groups = {"both": [], "one": [], "neither": []}
        for L, M in IGCV1_NEAR_128:
            key = {2: "both", 1: "one", 0: "neither"}[is_mult8(L) + is_mult8(M)]
            groups[key].append(by_spec[f"igcv1:L={L},M={M},k=3"][b]["gmacs"])
        parts = [f"{k}: {statistics.median(v):.1f} GMAC/s (n={len(v)})" for k, v in groups.items() if v]
        lines.append(f"- batch {b}, median throughput by how many of L, M are multiples of 8 — " + "; ".join(parts) + ".")
    lines.append("")
    return lines


def group_section(doc, batches) -> list[str]:
    lines = [
        "## Multiples of 8: one 3×3 group conv of width ≈ 128, by group size",
        "",
        "A single k×k group conv (`chain:W=C/C,G=n,k=3`, group size s = C/n): the IGCV1 primary conv alone.",
        "",
    ]
    lines += batch_header("| group size s | groups n | width | mult. of 8 |", "|---:|---:|---:|:-:|", batches)
    by_spec = rows_by_spec(doc)
    sizes = {}
    for spec, mine in by_spec.items():
        r0 = mine[batches[0]]
        n = int(spec.split("G=")[1].split(",")[0])
        s = sizes[spec] = r0["width"] // n
        line = f"| {s} | {n} | {r0['width']} | {'yes' if is_mult8(s) else 'no'} |"
        for b in batches:
            line += f" {fmt_ms(mine[b])} | {mine[b]['gmacs']:.1f} |"
        lines.append(line)
    lines.append("")
    for b in batches:
        yes = [m[b]["gmacs"] for spec, m in by_spec.items() if is_mult8(sizes[spec])]
        no = [m[b]["gmacs"] for spec, m in by_spec.items() if not is_mult8(sizes[spec])]
        lines.append(f"- batch {b}: median {statistics.median(yes):.1f} GMAC/s for group sizes that are multiples of 8 "
                     f"(n={len(yes)}) against {statistics.median(no):.1f} for the others (n={len(no)}).")
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
