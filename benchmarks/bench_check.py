"""Time and peak memory of `igcdesign check` on large chains (issue 3's targets), reported, not asserted.

Each case runs in a fresh process (`igcdesign check SPEC --json`), so the peak RSS is that of the
check alone. The baseline is the dense path_matrix (one row operation per layer on a C×C matrix)
on the widest IGCV2 chain it can hold, against analyze() on the same chain in the same run. The
mostly disconnected chains (many independent components) exercise the sparse class-level matrices.

    .venv/bin/python benchmarks/bench_check.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

CASES = [
    ("igcv2:K=1x16x16x16x16", 20.0),  # 65,536 channels, strict
    ("igcv3:C=1024,t=6,G1=4,G2=8", 10.0),
    ("igcv2:K=1x1024x1024", None),  # 1,048,576 channels
    ("igcv2:C=65536,K=1x16x16x16", None),  # sparse: verdict and fix
    # mostly disconnected: thousands of independent components, sparse class-level matrices
    ("chain:W=65536/65536/65536,G=65536/65536,k=3/1,P=i", 5.0),  # two channel-wise convs
    ("chain:W=65536/65536/65536,G=4096/4096,P=i", 5.0),  # 4,096 blocks of 16 channels
    ("igcv2:C=65536,K=1x16", 5.0),  # ∏K = 16 < C
    ("chain:W=4194304/4194304/4194304,G=4194304/4194304,P=i", None),  # at the width limit
]


def run_case(spec: str) -> tuple[float, float, str]:
    code = (
        "import resource, sys, time\n"
        "from igcdesign.cli import main\n"
        "t = time.perf_counter()\n"
        "try:\n"
        f"    main(['check', {spec!r}, '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(f'{time.perf_counter() - t} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    seconds, rss_kib = proc.stderr.strip().splitlines()[-1].split()
    verdict = json.loads(proc.stdout)["verdict"]
    return float(seconds), int(rss_kib) / 1024, verdict


def baseline() -> tuple[str, float, float]:
    from igcdesign.connectivity import analyze, path_matrix
    from igcdesign.families import parse_block

    spec = "igcv2:K=1x8x8x8x8"  # 4,096 channels: a 4096×4096 dense matrix
    chain = parse_block(spec).chain
    t = time.perf_counter()
    path_matrix(chain)
    dense = time.perf_counter() - t
    t = time.perf_counter()
    analyze(chain, fix=False)
    quotient = time.perf_counter() - t
    return spec, dense, quotient


def main() -> None:
    print("machine: 2-core dev box; times are wall-clock seconds of one `check --json` (import excluded)")
    for spec, target in CASES:
        seconds, rss, verdict = run_case(spec)
        goal = f"(target ≤ {target:.0f} s)" if target else ""
        print(f"{spec:56s} {verdict:9s} {seconds:7.2f} s  peak {rss:7.0f} MiB {goal}")
    spec, dense, quotient = baseline()
    print(f"baseline {spec}: dense path_matrix {dense:.2f} s, analyze {quotient:.3f} s "
          f"(×{dense / quotient:.0f} faster)")


if __name__ == "__main__":
    main()
