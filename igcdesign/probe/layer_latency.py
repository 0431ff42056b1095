"""Measuring the layer table the latency model reads: one step shape at a time, into the profile.

Each :class:`~igcdesign.latency.steps.Step` is built as the very step a fast module runs
(:mod:`igcdesign.probe.fast`'s ``ConvStep``, ``MatmulStep``, ``GroupViewStep``, ``ShuffleStep``, ``IndexStep``) on
a random input of its shape and layout, and timed as :func:`igcdesign.probe.timing.time_module` times
(blocked_autorange, median) under the profile's threads and dtype. The median milliseconds are
stored in the profile's ``layer_latency_ms`` under the step's key, and saved.

:func:`measure_missing` measures what predicting some blocks needs and the table lacks;
:func:`seed` measures :func:`seed_steps`, a modest grid of shapes (every kind of step the
families produce, channels per group 1–64, widths 16–1024, map sides 8–56, batch 1 and 8; grouped
k×k convs down to 2 channels per group), so
that predictions for unmeasured shapes have neighbours (``igcdesign latency --seed``).

A profile of one thread is timed by the process's CPU time (:func:`time_call`): the table then
holds what each layer takes with a core to itself even on a shared, loaded machine.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Callable, Iterable, Sequence

from igcdesign.errors import IGCError
from igcdesign.latency.steps import Step
from igcdesign.layers import conv_out_side

Progress = Callable[[int, int, str], None]
SEED_MIN_TIME = 0.02  # seconds of timed calls per shape in the seeding grid
MISSING_MIN_TIME = 0.05
MAX_STEP_ELEMENTS = 1 << 26  # input + output elements of one measured step (256 MiB in float32)


def step_module(step: Step):
    """The nn.Module that runs `step`, as the fast module builds it (fresh weights)."""
    from torch import nn

    from igcdesign.probe.fast import ConvStep, GroupViewStep, IndexStep, MatmulStep, ShiftedStep, ShuffleStep
    from igcdesign.probe.modules import conv_padding

    if step.op == "conv":
        conv = nn.Conv2d(step.cin, step.cout, step.k, stride=step.stride, padding=conv_padding(step.k, step.stride),
                         groups=step.groups, bias=False)
        return ConvStep(conv, step.shuffle, step.cl_out)
    if step.op == "shifted":
        return ShiftedStep(step.cin, step.cout, step.groups, step.k, step.shuffle)
    if step.op == "matmul":
        return MatmulStep(step.cin, step.cout, step.groups, step.shuffle)
    if step.op in ("views", "viewsout"):
        return GroupViewStep(step.cin, step.cout, step.groups, step.shuffle, step.groups if step.op == "viewsout" else 0, step.cl_out)
    if step.op == "shuffle":
        return ShuffleStep(step.groups)
    if step.op == "permute":
        return IndexStep(list(reversed(range(step.cin))))
    raise IGCError(f"cannot build step {step.key}")


def step_input(step: Step, dtype):
    """A random input of the step's shape in its input layout."""
    import torch

    x = torch.randn(step.batch, step.cin, step.hw, step.hw).to(dtype)
    return x.contiguous(memory_format=torch.channels_last) if step.cl_in else x


def step_elements(step: Step) -> int:
    out = conv_out_side(step.hw, step.k, step.stride) if step.op == "conv" else step.hw
    return step.batch * (step.cin * step.hw * step.hw + step.cout * out * out)


def time_call(module, x, *, threads: int, min_time: float, cpu_clock: bool) -> float:
    """Median milliseconds of module(x) over blocked_autorange's blocks, after a warm-up, under
    inference_mode with `threads` intra-op threads. `cpu_clock`: time by the process's CPU
    time (time.process_time) instead of the wall clock: with one thread that is the time the
    call takes when it has a core to itself, which a loaded machine's wall clock is not (there it
    measures the share of the cores the process got)."""
    import torch
    from torch.utils.benchmark import Timer

    from igcdesign.probe.timing import warm_up

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            warm_up(module, x, "cpu", min_time=0.01)
            extra = {"timer": time.process_time} if cpu_clock else {}
            timer = Timer(stmt="module(x)", globals={"module": module, "x": x}, num_threads=threads, **extra)
            return float(timer.blocked_autorange(min_run_time=min_time).median) * 1e3
    finally:
        torch.set_num_threads(previous)


def uses_cpu_clock(threads: int) -> bool:
    """Layer tables of one-thread profiles are timed by CPU time (see :func:`time_call`); with
    more threads the process's CPU time adds the threads up, so the wall clock is used."""
    return threads == 1


def time_step(step: Step, *, threads: int, dtype: str = "float32", min_time: float = MISSING_MIN_TIME) -> float:
    """Median milliseconds of one call of the step (its module on its input)."""
    from igcdesign.probe.device import torch_dtype

    if step_elements(step) > MAX_STEP_ELEMENTS:
        raise IGCError(f"step {step.key} has {step_elements(step):,} elements, more than the "
                       f"{MAX_STEP_ELEMENTS:,} a layer measurement may allocate: lower --batch or --hw")
    kind = torch_dtype(dtype)
    module = step_module(step).to(kind).eval()
    x = step_input(step, kind)
    return time_call(module, x, threads=threads, min_time=min_time, cpu_clock=uses_cpu_clock(threads))


def measure_steps(steps: Iterable[Step], store, *, min_time: float = MISSING_MIN_TIME, rounds: int = 1,
                  progress: Progress | None = None, save_every: int = 50) -> dict[str, float]:
    """Measure every step whose key the store's profile lacks (each once per round; with several
    rounds, run one after the other, the least disturbed one is kept: the lowest median), add them
    to its layer table and save it (every `save_every` steps and at the end, so that an
    interrupted run keeps what it measured); the new entries, key → ms."""
    profile = store.profile
    if profile is None:
        raise IGCError("no machine profile to store layer latencies in; run `igcdesign calibrate` first")
    if not profile.fingerprint.device.startswith("cpu"):
        raise IGCError("layer latencies are measured on the CPU only (this profile is for another device)")
    if not 1 <= rounds <= 100:
        raise IGCError(f"rounds must be between 1 and 100, got {rounds}")
    todo: dict[str, Step] = {}
    for step in steps:
        if step.key not in profile.layer_latency_ms:
            todo.setdefault(step.key, step)
    for step in todo.values():
        if step_elements(step) > MAX_STEP_ELEMENTS:
            raise IGCError(f"step {step.key} has {step_elements(step):,} elements, more than the "
                           f"{MAX_STEP_ELEMENTS:,} a layer measurement may allocate: lower --batch or --hw")
    threads, dtype = profile.fingerprint.threads, profile.fingerprint.dtype
    new: dict[str, float] = {}

    def save() -> None:
        current = store.profile
        store.save(replace(current, layer_latency_ms={**current.layer_latency_ms, **new}))

    total = len(todo) * rounds
    for r in range(rounds):
        for i, (key, step) in enumerate(todo.items()):
            if progress:
                progress(r * len(todo) + i, total, key)
            ms = time_step(step, threads=threads, dtype=dtype, min_time=min_time)
            new[key] = min(ms, new.get(key, ms))
            if save_every and (i + 1) % save_every == 0:
                save()
    if progress:
        progress(total, total, "done")
    if new:
        save()
    return new


def measure_missing(blocks: Sequence[Any], *, hw: int, batch: int, impl: str = "fast", store,
                    min_time: float = MISSING_MIN_TIME, rounds: int = 1, progress: Progress | None = None) -> dict[str, float]:
    """Measure each distinct step shape that predicting `blocks` (specs or Blocks) at this map
    side and batch needs and the profile in `store` (a :class:`~igcdesign.profile.ProfileStore`)
    lacks; save them into it. The new entries, key → ms."""
    from igcdesign.latency import steps_of

    steps = [step for block in blocks for step in steps_of(block, hw=hw, batch=batch, impl=impl)]
    return measure_steps(steps, store, min_time=min_time, rounds=rounds, progress=progress)


# --- the seeding grid ------------------------------------------------------------------------

SEED_HW = (8, 16, 28, 56)
SEED_BATCH = (1, 8)
SEED_MAX_MACS = 1 << 27  # the grid leaves out shapes heavier than this (~10 ms here): they would take most of its time


def seed_steps(hws: Sequence[int] = SEED_HW, batches: Sequence[int] = SEED_BATCH) -> list[Step]:
    """The seeding grid: every kind of step the families' fast and plain modules run, at a few
    channel shapes (channels per group 1–64, widths 16–1024), on every map side and batch given."""
    shapes: list[Step] = []
    # grouped k×k convs with few channels per group and many groups (IGCV1's primary conv): their
    # time per MAC differs from the wider groups' by 3–5× here, so they get their own neighbours
    few_per_group = [(72, 72, 36), (96, 96, 32), (256, 256, 64), (144, 144, 16), (512, 512, 128)]
    convs = {  # (op, k, layout in, layout out, shuffle): [(cin, cout, groups), ...]
        ("conv", 3, False, False, False): [(16, 16, 1), (64, 64, 1), (128, 128, 1), (256, 256, 1),
                                           (64, 64, 64), (256, 256, 256), (1024, 1024, 1024),
                                           (64, 64, 4), (128, 128, 16)] + few_per_group,
        ("conv", 3, False, False, True): [(96, 96, 96), (384, 384, 384), (64, 64, 8)],
        ("conv", 5, False, False, False): [(32, 32, 1), (128, 128, 1), (64, 64, 64), (384, 384, 384)],
        ("conv", 3, False, True, False): [(64, 64, 2), (64, 64, 8), (256, 256, 8), (256, 256, 32), (512, 512, 64)]
        + few_per_group,
        ("conv", 1, False, False, False): [(64, 64, 1), (256, 256, 1), (64, 64, 8)],
        ("conv", 1, False, False, True): [(64, 64, 8), (256, 256, 16)],
        ("conv", 1, True, True, True): [(64, 64, 8), (256, 256, 16), (256, 256, 64)],
        ("conv", 1, True, True, False): [(64, 64, 1), (256, 256, 1), (64, 64, 8), (256, 64, 4)],
        ("conv", 1, False, True, False): [(64, 64, 8), (256, 64, 4), (64, 384, 2)],
        ("conv", 3, True, True, True): [(96, 96, 96), (384, 384, 384)],
        ("conv", 3, True, True, False): [(64, 64, 4), (128, 128, 64)] + few_per_group,
        ("shifted", 3, False, False, False): [(64, 64, 2), (64, 64, 8), (128, 128, 16), (256, 256, 8)] + few_per_group,
        ("shifted", 3, False, False, True): [(64, 64, 8), (256, 256, 16)],
        ("matmul", 1, False, False, False): [(16, 96, 1), (64, 64, 1), (256, 256, 1), (64, 384, 2),
                                             (384, 64, 2), (256, 256, 8), (512, 128, 4), (1024, 1024, 16)],
        ("matmul", 1, False, False, True): [(64, 64, 8), (256, 256, 8), (256, 256, 64), (1024, 1024, 32)],
        ("matmul", 1, True, False, True): [(64, 64, 8), (256, 256, 16), (256, 256, 64), (1024, 1024, 32)],
        ("matmul", 1, True, False, False): [(64, 64, 1), (256, 256, 1)],
        ("views", 1, False, False, True): [(64, 64, 8), (256, 256, 64)],
        ("viewsout", 1, False, False, True): [(64, 64, 8), (256, 256, 16)],
        ("viewsout", 1, True, False, True): [(64, 64, 8), (256, 256, 16)],
        ("views", 1, True, True, False): [(64, 64, 8), (256, 256, 16)],
    }
    shuffles = {False: [(64, 8), (256, 16), (1024, 32)], True: [(64, 8), (256, 16), (1024, 32)]}
    for hw in hws:
        for batch in batches:
            for (op, k, cl_in, cl_out, shuffled), channels in convs.items():
                for cin, cout, groups in channels:
                    if cin // groups * cout * k * k * hw * hw * batch > SEED_MAX_MACS:
                        continue
                    pending = _shuffle_groups(cin, groups) if shuffled else 0
                    shapes.append(Step(op, cin, cout, groups, k, 1, hw, batch, cl_in, cl_out, pending))
            for cl, widths in shuffles.items():
                for width, groups in widths:
                    shapes.append(Step("shuffle", width, width, groups, 1, 1, hw, batch, cl, cl))
    return shapes


def _shuffle_groups(width: int, groups: int) -> int:
    """A shuffle that interleaves `groups` groups of `width` channels as the families do."""
    for g in (groups, 8, 4, 2):
        if 1 < g < width and width % g == 0:
            return g
    return 2


def seed(store, *, hws: Sequence[int] = SEED_HW, batches: Sequence[int] = SEED_BATCH,
         min_time: float = SEED_MIN_TIME, rounds: int = 1, progress: Progress | None = None) -> dict[str, float]:
    """Measure the seeding grid's shapes the profile lacks (`rounds` times, keeping the least
    disturbed); the new entries (key → ms)."""
    return measure_steps(seed_steps(hws, batches), store, min_time=min_time, rounds=rounds, progress=progress)


# --- block factors: what a whole block costs beyond its steps ---------------------------------

# A few blocks per family, with the families' usual shapes; measured at each (hw, batch) below.
# benchmarks/bench_latency_model.py draws only blocks none of whose steps these measured.
CALIBRATION_BLOCKS = {
    "regular": ("regular:C=32,k=3", "regular:C=96,k=3", "regular:C=64,k=1"),
    "dwsep": ("dwsep:C=64,k=3", "dwsep:C=256,k=3", "dwsep:C=128,k=5"),
    "igcv1": ("igcv1:L=8,M=8,k=3", "igcv1:L=24,M=4,k=3", "igcv1:L=4,M=24,k=3"),
    "igcv2": ("igcv2:K=1x8x8,k=3", "igcv2:K=1x4x4x4,k=3", "igcv2:K=1x16x4,k=3"),
    "igcv3": ("igcv3:C=32,t=6,G1=2,G2=2,k=3", "igcv3:C=64,t=4,G1=2,G2=2,k=3", "igcv3:C=24,t=6,G1=1,G2=2,k=3"),
    "mobilenetv2": ("mobilenetv2:C=32,t=6,k=3", "mobilenetv2:C=64,t=4,k=3"),
    "shufflenetv1": ("shufflenetv1:C=96,g=3,k=3", "shufflenetv1:C=192,g=4,k=3", "shufflenetv1:C=128,g=8,k=3"),
    "chain": ("chain:W=64/256/64,G=4/4,k=1/1,P=s", "chain:W=128/128/128,G=8/128,k=1/3,P=s"),
}
CALIBRATION_POINTS = ((16, 1), (28, 8))  # (map side, batch)


def time_block(spec: str, *, hw: int, batch: int, threads: int, dtype: str = "float32",
               min_time: float = MISSING_MIN_TIME, plan: str | None = None) -> tuple[float, str]:
    """(median ms of one call, plan) of the block's fast module on a random batch, its plan chosen
    by the tuner (unless given) and timed as the layer table is (:func:`time_call`, by the same
    clock)."""
    import torch

    from igcdesign.families import parse_block
    from igcdesign.probe.device import torch_dtype
    from igcdesign.probe.fast import fast_module
    from igcdesign.probe.targets import resolve_target
    from igcdesign.probe.tune import choose_plan, time_plans

    cpu = uses_cpu_clock(threads)
    clock = time.process_time if cpu else time.perf_counter
    target = resolve_target(spec, hw)
    chain = parse_block(spec).chain
    kind = torch_dtype(dtype)
    x = torch.randn(batch, *target.input_shape).to(kind)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        if plan is None:
            plan, _ = choose_plan(chain, x, timer=lambda modules, x, budget_s: time_plans(modules, x, budget_s=budget_s,
                                                                                         clock=clock))
    finally:
        torch.set_num_threads(previous)
    module = fast_module(chain, plan=plan).to(kind).eval()
    return time_call(module, x, threads=threads, min_time=min_time, cpu_clock=cpu), plan


def calibrate_blocks(store, *, blocks: dict[str, Sequence[str]] | None = None,
                     points: Sequence[tuple[int, int]] | None = None, min_time: float = MISSING_MIN_TIME,
                     progress: Progress | None = None) -> dict[str, list[float]]:
    """Each family's block factor samples: for every calibration block at every (hw, batch), its
    missing steps measured, then the block itself; measured / the bare sum of its predicted steps
    (igcdesign.latency.predict with composed=False, every step then measured). Saved into the
    profile (`block_factors`, replacing those families'); family → ratios."""
    from igcdesign.latency import predict

    blocks = CALIBRATION_BLOCKS if blocks is None else blocks
    points = CALIBRATION_POINTS if points is None else points
    if store.profile is None:
        raise IGCError("no machine profile to store block factors in; run `igcdesign calibrate` first")
    cases = [(family, spec, hw, batch) for family, specs in blocks.items() for spec in specs for hw, batch in points]
    for _, spec, hw, batch in cases:
        measure_missing([spec], hw=hw, batch=batch, store=store, min_time=min_time)
    threads, dtype = store.profile.fingerprint.threads, store.profile.fingerprint.dtype
    ratios: dict[str, list[float]] = {}
    for i, (family, spec, hw, batch) in enumerate(cases):
        if progress:
            progress(i, len(cases), f"{spec} hw{hw} b{batch}")
        measured, plan = time_block(spec, hw=hw, batch=batch, threads=threads, dtype=dtype, min_time=min_time)
        bare = predict(spec, hw=hw, batch=batch, profile=store.profile, composed=False).plans_ms
        steps = bare.get(plan, min(bare.values()))  # the plan measured, as the sum of its steps
        ratios.setdefault(family, []).append(measured / steps)
    if progress:
        progress(len(cases), len(cases), "done")
    store.save(replace(store.profile, block_factors={**store.profile.block_factors, **ratios}))
    return ratios
