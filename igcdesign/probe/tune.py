"""Choosing a fast module's plan by a short measurement, cached in the machine profile.

The rules of :func:`igcdesign.probe.fast.compile_chain` (grouped k×k convs channels-last,
grouped 1×1 convs as products) hold on most CPUs, not on all, nor at every size. Like
``cudnn.benchmark``, :func:`choose_plan` times every plan of :data:`PLANS` on the shape that
will run (a few interleaved calls each, within a time budget), keeps the fastest, and stores the
choice in the profile's ``choices`` under the chain, batch, map side and input layout, so the next
run skips the measurement. ``conv`` (every rule off) runs the plain module's kernels, so the
choice is never worse than the plain module by more than the measurement's noise; to keep that
noise out of the choice, plans that compile to the same steps are timed once (as the first of
them in :data:`PLANS`, ``conv`` first of all), each plan's figure is its least time over the
interleaved rounds (other work on the machine only adds time), and another plan replaces
``conv`` only when it is faster by more than :data:`MARGIN`, and again so in a second,
head-to-head measurement of the two (on a loaded box one look chose a plan 2.8× slower than
the plain kernels for ``igcv1:L=4,M=32`` at batch 1).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace
from typing import Any, Callable, Sequence

from igcdesign.probe.fast import PLANS, FastChainModule, fast_module

TUNE_BUDGET_S = 2.0
MARGIN = 0.03  # a plan must beat the plain kernels by 3 % to be chosen over them


def _scratch():
    from igcdesign.profile import Fingerprint, Profile

    return Profile(Fingerprint("choices of this run", "", 1, ""), 1.0, 1.0, 1.0, 1.0, 1.0)


SCRATCH = _scratch()  # holds choices where there is no machine profile (never saved: no path)


def chain_key(chain: Sequence[Any], batch: int, hw: int, channels_last: bool, shuffle_in: int = 0, drop_tail: bool = False) -> str:
    """A stable key for the choice: the chain's layers, the batch, the map side and the layout
    (and, in a network, the shuffle the block reads through and whether it drops its own)."""
    text = repr(tuple(chain))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
    fold = (f"|in{shuffle_in}" if shuffle_in else "") + ("|droptail" if drop_tail else "")
    return f"{digest}|b{batch}|hw{hw}|{'nhwc' if channels_last else 'nchw'}{fold}"


def distinct_plans(chain: Sequence[Any], shuffle_in: int = 0, drop_tail: bool = False) -> list[str]:
    """The plans of :data:`PLANS` that compile this chain to different steps, ``conv`` first;
    of plans with the same steps the first one named stands for them all."""
    from igcdesign.probe.fast import compile_chain

    seen: dict[tuple[str, ...], str] = {}
    for plan in ("conv", *(p for p in PLANS if p != "conv")):
        seen.setdefault(tuple(compile_chain(chain, plan, shuffle_in=shuffle_in, drop_tail=drop_tail)[1]), plan)
    return list(seen.values())


def time_plans(modules: dict[str, Any], x, *, budget_s: float = TUNE_BUDGET_S, rounds: int = 5,
               clock: Callable[[], float] = time.perf_counter, synchronize: Callable[[], None] = lambda: None) -> dict[str, float]:
    """The least seconds per call of each module on x: one warm-up call each (never timed: a
    first call pays for allocation and kernel selection, which is not what a plan costs), then
    between one and `rounds` interleaved rounds of one call each, stopping once the budget is spent."""
    import torch

    times: dict[str, list[float]] = {name: [] for name in modules}
    start = clock()
    with torch.inference_mode():
        for module in modules.values():
            module(x)
            synchronize()
        for _ in range(rounds):
            for name, module in modules.items():
                t0 = clock()
                module(x)
                synchronize()
                times[name].append(clock() - t0)
            if clock() - start > budget_s:
                break
    return {name: min(values) for name, values in times.items()}


def choose_plan(chain: Sequence[Any], x, *, store=None, budget_s: float = TUNE_BUDGET_S,
                timer=None, shuffle_in: int = 0, drop_tail: bool = False) -> tuple[str, dict[str, float] | None]:
    """(the fastest plan for this chain on x's shape and layout, the timings: None if cached,
    empty where every plan compiles to the same steps and there was nothing to time).

    `store` (a :class:`~igcdesign.profile.ProfileStore`) holds the choices made so far: a cached
    choice is used as it is, a new one is added and saved. A store without a profile remembers
    choices for as long as it lives (one run) and writes nothing.
    """
    import torch

    batch, _, h, _ = x.shape
    layout = bool(x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous())
    key = chain_key(chain, batch, h, layout, shuffle_in, drop_tail)
    profile = store.profile if store is not None else None
    if profile is not None and profile.choices.get(key) in PLANS:
        return profile.choices[key], None
    candidates = distinct_plans(chain, shuffle_in, drop_tail)
    if len(candidates) == 1:  # nothing to choose: every plan runs the same steps
        timings: dict[str, float] = {}
        best = candidates[0]
    else:
        modules = {plan: fast_module(chain, plan=plan, shuffle_in=shuffle_in, drop_tail=drop_tail).to(device=x.device, dtype=x.dtype).eval()
                   for plan in candidates}
        timings = (timer or time_plans)(modules, x, budget_s=budget_s)
        best = pick(timings)
        if best != "conv" and "conv" in modules:  # a second, head-to-head look before leaving the plain kernels
            again = (timer or time_plans)({"conv": modules["conv"], best: modules[best]}, x, budget_s=budget_s / 2)
            best = pick({plan: again[plan] for plan in ("conv", best) if plan in again}) if again else best
    if store is not None:
        base = profile if profile is not None else SCRATCH
        store.save(replace(base, choices={**base.choices, key: best}))
    return best, timings


def pick(timings: dict[str, float]) -> str:
    """The fastest plan, unless it beats ``conv`` (the plain kernels) by no more than MARGIN."""
    best = min(timings, key=timings.get)
    if "conv" in timings and timings[best] > (1 - MARGIN) * timings["conv"]:
        return "conv"
    return best


def tuned_module(chain: Sequence[Any], x, *, bn: bool = False, relu: bool = False, store=None) -> FastChainModule:
    """The fast module of a chain with the plan :func:`choose_plan` picks for x."""
    plan, _ = choose_plan(chain, x, store=store)
    return fast_module(chain, bn=bn, relu=relu, plan=plan)


def tune_in_place(module, x, *, store=None):
    """`module` with every fast block in it (the module itself, or the blocks of a network) on
    the plan :func:`choose_plan` picks for the input that block sees when module(x) runs."""
    import torch

    from igcdesign.profile import ProfileStore

    store = store if store is not None else ProfileStore(None)
    if isinstance(module, FastChainModule):
        plan, _ = choose_plan(module.chain, x, store=store, shuffle_in=module.shuffle_in, drop_tail=module.drop_tail)
        return module if plan == module.rules else module.replan(plan)
    blocks = [(name, m) for name, m in module.named_modules() if isinstance(m, FastChainModule)]
    if not blocks:
        return module
    seen: dict[str, Any] = {}
    hooks = [m.register_forward_pre_hook(lambda _m, args, name=name: seen.setdefault(name, args[0].clone()))
             for name, m in blocks]
    try:
        with torch.inference_mode():
            module(x)
    finally:
        for hook in hooks:
            hook.remove()
    for name, block in blocks:
        if name not in seen:
            continue
        plan, _ = choose_plan(block.chain, seen[name], store=store, shuffle_in=block.shuffle_in, drop_tail=block.drop_tail)
        if plan != block.rules:
            parent_name, _, child = name.rpartition(".")
            parent = module.get_submodule(parent_name) if parent_name else module
            setattr(parent, child, block.replan(plan))
    return module
