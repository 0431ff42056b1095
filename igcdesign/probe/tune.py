"""Choosing a fast module's plan by a short measurement, cached in the machine profile.

The rules of :func:`igcdesign.probe.fast.compile_chain` (grouped k×k convs channels-last,
grouped 1×1 convs as products) hold on most CPUs, not on all, nor at every size. Like
``cudnn.benchmark``, :func:`choose_plan` times every plan of :data:`PLANS` on the shape that
will run (a few interleaved calls each, within a time budget), keeps the fastest, and stores the
choice in the profile's ``choices`` under the chain, batch, map side and input layout, so the next
run skips the measurement. ``conv`` (both rules off) runs the plain module's kernels, so the
choice is never worse than the plain module by more than the measurement's noise.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from dataclasses import replace
from typing import Any, Callable, Sequence

from igcdesign.probe.fast import PLANS, FastChainModule, fast_module

TUNE_BUDGET_S = 2.0


def chain_key(chain: Sequence[Any], batch: int, hw: int, channels_last: bool) -> str:
    """A stable key for the choice: the chain's layers, the batch, the map side and the layout."""
    text = repr(tuple(chain))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
    return f"{digest}|b{batch}|hw{hw}|{'nhwc' if channels_last else 'nchw'}"


def time_plans(modules: dict[str, Any], x, *, budget_s: float = TUNE_BUDGET_S, rounds: int = 3,
               clock: Callable[[], float] = time.perf_counter, synchronize: Callable[[], None] = lambda: None) -> dict[str, float]:
    """Median seconds per call of each module on x: one warm-up call each, then up to `rounds`
    interleaved rounds of one call each, fewer when the budget would be exceeded (when the
    warm-up alone exceeds it, the warm-up calls are the measurement)."""
    import torch

    times: dict[str, list[float]] = {name: [] for name in modules}
    start = clock()
    with torch.inference_mode():
        warm = {}
        for name, module in modules.items():
            t0 = clock()
            module(x)
            synchronize()
            warm[name] = clock() - t0
        if clock() - start > budget_s:
            return warm
        for _ in range(rounds):
            for name, module in modules.items():
                t0 = clock()
                module(x)
                synchronize()
                times[name].append(clock() - t0)
            if clock() - start > budget_s:
                break
    return {name: statistics.median(values) for name, values in times.items()}


def choose_plan(chain: Sequence[Any], x, *, profile=None, save: Callable[[Any], None] | None = None,
                budget_s: float = TUNE_BUDGET_S, timer=time_plans) -> tuple[str, dict[str, float] | None]:
    """(the fastest plan for this chain on x's shape and layout, the timings or None if cached).

    With a profile, a cached choice is used as it is, and a new one is stored through `save`
    (which receives the updated profile).
    """
    import torch

    batch, _, h, _ = x.shape
    layout = bool(x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous())
    key = chain_key(chain, batch, h, layout)
    if profile is not None and profile.choices.get(key) in PLANS:
        return profile.choices[key], None
    modules = {plan: fast_module(chain, plan=plan).to(device=x.device, dtype=x.dtype).eval() for plan in PLANS}
    timings = timer(modules, x, budget_s=budget_s)
    best = min(timings, key=timings.get)
    if profile is not None and save is not None:
        save(replace(profile, choices={**profile.choices, key: best}))
    return best, timings


def tuned_module(chain: Sequence[Any], x, *, bn: bool = False, relu: bool = False, profile=None,
                 save: Callable[[Any], None] | None = None) -> FastChainModule:
    """The fast module of a chain with the plan :func:`choose_plan` picks for x."""
    plan, _ = choose_plan(chain, x, profile=profile, save=save)
    return fast_module(chain, bn=bn, relu=relu, plan=plan)
