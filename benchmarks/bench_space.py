"""Configurations per second: `igcdesign space` (numpy over the chains) against counting the same
configurations the way fvcore / thop / torchinfo do, by instantiating torch modules and summing
their parameters. Both counts must agree exactly on the sampled configurations.

Run: .venv/bin/python benchmarks/bench_space.py [--budget 1e6] [--sample 200] [--family igcv1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

from igcdesign.numbers import parse_count
from igcdesign.designspace import enumerate_space


class Shuffle(nn.Module):
    """Channel shuffle with g groups (no parameters)."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        return x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


def torch_block(family: str, row, k: int, t: int) -> nn.Module:
    """The block as plain nn.Conv2d(groups=...) layers, built from the row's integers only."""
    if family == "igcv1":
        L, M = int(row["L"]), int(row["M"])
        G = L * M
        return nn.Sequential(nn.Conv2d(G, G, k, padding=k // 2, groups=L, bias=False), Shuffle(L),
                             nn.Conv2d(G, G, 1, groups=M, bias=False), Shuffle(M))
    if family == "igcv2":
        K = [int(v) for v in row["K"].split("x")]
        C = int(row["width"])
        layers = [nn.Conv2d(C, C, k, padding=k // 2, groups=C // K[0], bias=False)]
        for Kl in K[1:]:
            layers += [Shuffle(C // K[len(layers) // 2]), nn.Conv2d(C, C, 1, groups=C // Kl, bias=False)]
        return nn.Sequential(*layers)
    C, G1, G2 = int(row["C"]), int(row["G1"]), int(row["G2"])
    Ci = t * C
    return nn.Sequential(nn.Conv2d(C, Ci, 1, groups=G1, bias=False), Shuffle(G1),
                         nn.Conv2d(Ci, Ci, k, padding=k // 2, groups=Ci, bias=False),
                         nn.Conv2d(Ci, C, 1, groups=G2, bias=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="igcv1", choices=["igcv1", "igcv2", "igcv3"])
    parser.add_argument("--budget", default="1e6")
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--kernel", type=int, default=3)
    parser.add_argument("--expansion", type=int, default=6)
    args = parser.parse_args()
    budget = parse_count(args.budget)
    torch.set_num_threads(1)

    enumerate_space(args.family, min(budget, 10**4), args.kernel, expansion=args.expansion)  # warm imports
    start = time.perf_counter()
    space = enumerate_space(args.family, budget, args.kernel, expansion=args.expansion)
    ours_s = time.perf_counter() - start
    frame = space.frame
    ours_rate = len(frame) / ours_s

    rng = np.random.default_rng(0)
    sample = frame.iloc[np.sort(rng.choice(len(frame), size=min(args.sample, len(frame)), replace=False))]
    start = time.perf_counter()
    torch_params = [sum(p.numel() for p in torch_block(args.family, row, args.kernel, args.expansion).parameters())
                    for _, row in sample.iterrows()]
    torch_s = time.perf_counter() - start
    torch_rate = len(sample) / torch_s
    mismatches = int((np.asarray(torch_params) != sample["params"].to_numpy()).sum())

    print(f"family {args.family}, budget {budget:,}, k = {args.kernel}: {len(frame):,} configurations")
    print(f"igcdesign space (numpy over chains): {ours_s:.3f} s, {ours_rate:,.0f} configs/s "
          "(params, mult_adds, mem_access, verdict, spec text)")
    print(f"torch modules + sum(numel) ({len(sample)} sampled): {torch_s:.3f} s, {torch_rate:,.1f} configs/s (params only)")
    print(f"agreement on the sample: {len(sample) - mismatches}/{len(sample)} exact")
    print(f"ratio: {ours_rate / torch_rate:,.0f}x faster")
    if mismatches:
        raise SystemExit(f"{mismatches} configurations disagree")


if __name__ == "__main__":
    main()
