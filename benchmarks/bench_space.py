"""Configurations per second: `igcdesign space` (numpy over the chains) against counting the same
configurations the way fvcore / thop / torchinfo do, by instantiating torch modules and summing
their parameters. Both counts must agree exactly on the sampled configurations.

Every family with a design space is benchmarked (the registry's `families_supporting("space")`),
each sampled row built from its spec by the project's module builder (igcdesign.probe.modules).

Run: .venv/bin/python benchmarks/bench_space.py [--budget 1e6] [--sample 200] [--family igcv1 ...]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from igcdesign.designspace import enumerate_space
from igcdesign.families import families_supporting
from igcdesign.numbers import parse_count
from igcdesign.probe.modules import block_module


def bench(family: str, budget: int, sample_size: int, kernel: int, expansion: int) -> int:
    """Print one family's figures; the number of sampled configurations whose counts disagree."""
    enumerate_space(family, min(budget, 10**4), kernel, expansion=expansion)  # warm imports
    start = time.perf_counter()
    space = enumerate_space(family, budget, kernel, expansion=expansion)
    ours_s = time.perf_counter() - start
    frame = space.frame
    if frame.empty:
        print(f"family {family}, budget {budget:,}, k = {kernel}: no configurations")
        return 0
    ours_rate = len(frame) / ours_s

    rng = np.random.default_rng(0)
    sample = frame.iloc[np.sort(rng.choice(len(frame), size=min(sample_size, len(frame)), replace=False))]
    start = time.perf_counter()
    torch_params = [sum(p.numel() for p in block_module(spec).parameters()) for spec in sample["config"]]
    torch_s = time.perf_counter() - start
    torch_rate = len(sample) / torch_s
    mismatches = int((np.asarray(torch_params) != sample["params"].to_numpy()).sum())

    print(f"family {family}, budget {budget:,}, k = {kernel}: {len(frame):,} configurations")
    print(f"  igcdesign space (numpy over chains): {ours_s:.3f} s, {ours_rate:,.0f} configs/s "
          "(params, mult_adds, mem_access, verdict, spec text)")
    print(f"  torch modules + sum(numel) ({len(sample)} sampled): {torch_s:.3f} s, {torch_rate:,.1f} configs/s "
          "(params only)")
    print(f"  agreement on the sample: {len(sample) - mismatches}/{len(sample)} exact")
    print(f"  ratio: {ours_rate / torch_rate:,.0f}x faster")
    return mismatches


def main() -> None:
    families = families_supporting("space")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", action="append", choices=families,
                        help="a family to benchmark (repeatable); every family with a space by default")
    parser.add_argument("--budget", default="1e6")
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--kernel", type=int, default=3)
    parser.add_argument("--expansion", type=int, default=6)
    args = parser.parse_args()
    budget = parse_count(args.budget)
    torch.set_num_threads(1)

    disagree = {}
    for family in args.family or families:
        mismatches = bench(family, budget, args.sample, args.kernel, args.expansion)
        if mismatches:
            disagree[family] = mismatches
    if disagree:
        raise SystemExit(f"configurations disagree: {disagree}")


if __name__ == "__main__":
    main()
