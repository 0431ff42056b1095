"""Measurement quality: probe the same specs several times and see whether the runs agree.

Each run reports a median and an interquartile range (IQR). Two runs agree when their medians
differ by at most the larger of their IQRs. The benchmark prints every run, the spread of the
medians relative to their mean, and the share of run pairs that agree; it is a benchmark, not
a test, because timing noise depends on the machine and its load.

    .venv/bin/python benchmarks/bench_probe_repeat.py [--repeats 5] [--min-time 0.2] [--hw 32]
"""

from __future__ import annotations

import argparse
import itertools
import statistics

from igcdesign.probe.measure import measure_specs

SPECS = ("regular:C=64,k=3", "igcv1:L=4,M=32,k=3", "igcv1:L=54,M=6,k=3", "igcv3:C=32,t=6,G1=2,G2=2,k=3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.2)
    parser.add_argument("--hw", type=int, default=32)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    runs: dict[str, list[dict]] = {spec: [] for spec in SPECS}
    for _ in range(args.repeats):  # interleaved: drift hits every spec alike
        rows = measure_specs(SPECS, hw=args.hw, batch=args.batch, threads=args.threads,
                             min_time=args.min_time, baseline=None)
        for row in rows:
            runs[row["spec"]].append(row)

    total_pairs = total_agree = 0
    print(f"{'spec':34} {'medians ms (IQR)':60} spread  agree")
    for spec, rows in runs.items():
        medians = [r["latency_ms"] for r in rows]
        pairs = list(itertools.combinations(rows, 2))
        agree = sum(abs(a["latency_ms"] - b["latency_ms"]) <= max(a["iqr_ms"], b["iqr_ms"]) for a, b in pairs)
        total_pairs, total_agree = total_pairs + len(pairs), total_agree + agree
        spread = (max(medians) - min(medians)) / statistics.mean(medians)
        text = " ".join(f"{r['latency_ms']:.3f}({r['iqr_ms']:.3f})" for r in rows)
        print(f"{spec:34} {text:60} {spread:6.1%}  {agree}/{len(pairs)}")
    print(f"run pairs agreeing within their IQR: {total_agree}/{total_pairs} ({total_agree / max(total_pairs, 1):.0%})")


if __name__ == "__main__":
    main()
