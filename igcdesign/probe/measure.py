"""The one measuring module: build each target, check it against the counts, time it against a
baseline, and the measurements that `widest`, `space` and `net` add to their answers.

:func:`probe` returns the whole JSON document of ``igcdesign probe``; :func:`measure_specs` its
rows (the library entry point); :func:`measure_widest`, :func:`rank_near`, :func:`measure_rows`
and :func:`measure_nets` serve ``widest --measure/--near``, ``space --measure`` and
``net --measure``, and :func:`context` is the part of a probe document that each of them reports
beside its latencies (device, rounds, load, the busy-machine warning, the baseline's own latency).
torch is imported only when something is measured.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import igcdesign.nets.probe_hook  # noqa: F401 (registers whole networks as probe targets)
from igcdesign.errors import IGCError
from igcdesign.probe.targets import Target
from igcdesign.validate import check_hw, check_min_time, parse_batches

MAX_BATCH = 1 << 16
MAX_THREADS = 1024
MAX_ROUNDS = 100
AUTO = "auto"
LATENCY_KEYS = ("batch", "latency_ms", "iqr_ms", "blocks", "gmacs", "ratio_to_baseline", "params_torch",
                "impl", "floor_ms", "ratio_to_floor")

Progress = Callable[[int, int, str], None]  # (done, total, label of the next measurement)


@dataclass(frozen=True)
class ProbeSettings:
    """How to measure: map side, batch sizes, device, dtype, threads, layout, time per measurement."""

    hw: int = 32
    batches: tuple[int, ...] = (1,)
    device: str = "cpu"
    dtype: str = "float32"
    threads: int | None = None
    channels_last: bool = False
    min_time: float = 0.2
    bn: bool = False
    relu: bool = False
    rounds: int = 1
    impls: tuple[str, ...] = ("fast",)  # igcdesign.probe.IMPLEMENTATIONS, measured in this order
    clock: str = "wall"  # or 'cpu': the process's CPU time, one thread only (igcdesign.probe.timing.check_clock)


def check_settings(settings: ProbeSettings) -> tuple[str, Any, int]:
    """Validate settings: (device, torch dtype, threads) or IGCError with one line."""
    from igcdesign.probe import parse_impls, require_torch
    from igcdesign.probe.device import check_dtype, resolve_device

    check_hw(settings.hw)
    parse_impls(settings.impls)
    if not settings.batches:
        raise IGCError("--batch: give at least one batch size")
    for b in settings.batches:
        if not 1 <= b <= MAX_BATCH:
            raise IGCError(f"--batch must be between 1 and {MAX_BATCH}, got {b}")
    if not 1 <= settings.rounds <= MAX_ROUNDS:
        raise IGCError(f"--rounds must be between 1 and {MAX_ROUNDS}, got {settings.rounds}")
    check_min_time(settings.min_time)
    torch = require_torch()
    threads = settings.threads if settings.threads is not None else torch.get_num_threads()
    if not 1 <= threads <= MAX_THREADS:
        raise IGCError(f"--threads must be between 1 and {MAX_THREADS}, got {threads}")
    device = resolve_device(settings.device)
    dtype = check_dtype(device, settings.dtype)
    from igcdesign.probe.timing import check_clock

    check_clock(settings.clock, device, threads)
    return device, dtype, threads


def settings_from_options(hw: int, batch: Sequence[str | int], threads: int | None, min_time: float,
                          rounds: int = 1, device: str = "cpu", clock: str = "wall") -> ProbeSettings:
    """Validated settings from a command's --hw/--batch/--threads/--min-time/--rounds options.

    Fails (IGCError, one line) before anything is enumerated, built or timed.
    """
    settings = ProbeSettings(hw=hw, batches=parse_batches(batch), threads=threads, min_time=min_time,
                             rounds=rounds, device=device, clock=clock)
    check_settings(settings)
    return settings


def resolve_baseline(baseline: str | None, first, hw: int):
    """The baseline target: None, an explicit spec, or AUTO = the widest regular conv within
    the first target's parameter budget, with the first target's largest kernel. A single conv
    is no baseline for a whole network: AUTO means none there (name one with --baseline)."""
    from igcdesign.probe.targets import regular_baseline_spec, resolve_target

    if baseline is None or (baseline == AUTO and first.kind == "network"):
        return None
    if baseline == AUTO:
        baseline = regular_baseline_spec(first.params, first.kernel)
    return resolve_target(baseline, hw)


def probe(
    specs: Sequence[str | Target],
    settings: ProbeSettings = ProbeSettings(),
    *,
    baseline: str | None = AUTO,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Measure every spec (or prepared Target) at every batch size, with the baseline measured
    in the same run.

    Everything is validated and every memory estimate checked before the first module is
    built, so a bad spec or an impossible size fails (IGCError) without half a run.
    Returns ``{"device", "torch", "threads", "dtype", "hw", "channels_last", "min_time_s",
    "rounds", "cpu_count", "load_average": [before, after], "busy", "baseline", "results": [...]}``;
    each result is the row described in :func:`measure_specs`; ``busy`` is :func:`busy_warning`'s
    text (None on a quiet machine).
    """
    from igcdesign.probe.device import device_name, memory_headroom
    from igcdesign.probe.memory import check_fits
    from igcdesign.probe.targets import resolve_target

    if not specs:
        raise IGCError("give at least one spec to probe")
    device, dtype, threads = check_settings(settings)
    import torch
    targets = [s if isinstance(s, Target) else resolve_target(s, settings.hw) for s in specs]
    base = resolve_baseline(baseline, targets[0], settings.hw)
    everything = ([base] if base else []) + targets
    free, limit = memory_headroom(device)
    estimates = {}
    for t in everything:
        for b in settings.batches:
            estimates[t.spec, b] = check_fits(t, b, settings.dtype, free, limit)

    from igcdesign.profile import Fingerprint, ProfileStore, find_profile

    lookup = find_profile(Fingerprint(device_name(device), str(torch.__version__), threads, settings.dtype))
    store = ProfileStore(lookup.profile)  # fast modules' plan choices are remembered in it
    targets_by_spec = {t.spec: t for t in everything}
    plan = [(b, t, t is base, impl) for b in settings.batches for t in everything for impl in settings.impls]
    steps = len(plan) * settings.rounds
    load_before = load_average()
    rounds: list[list[dict[str, Any]]] = []
    for r in range(settings.rounds):  # whole rounds, so that drift or load hits every spec alike
        rows = []
        for i, (batch, target, is_base, impl) in enumerate(plan):
            if progress:
                progress(r * len(plan) + i, steps, f"{target.spec} ×{batch}" + (f" {impl}" if len(settings.impls) > 1 else ""))
            row = measure_one(target, batch, device, dtype, threads, settings, impl, store)
            row["memory_estimate_bytes"] = estimates[target.spec, batch]
            row["is_baseline"] = is_base
            rows.append(row)
        rounds.append(rows)
    if progress:
        progress(steps, steps, "done")
    results = []
    for i in range(len(plan)):  # the round with the lowest median: the least disturbed one
        tries = [rows[i] for rows in rounds]
        best = dict(min(tries, key=lambda row: row["latency_ms"]))
        best["round_medians_ms"] = [row["latency_ms"] for row in tries]
        results.append(best)
    base_latency = {(row["batch"], row["impl"]): row["latency_ms"] for row in results if row["is_baseline"]}
    for row in results:
        ref = base_latency.get((row["batch"], row["impl"]))
        row["ratio_to_baseline"] = row["latency_ms"] / ref if ref else None
        add_floor(row, targets_by_spec[row["spec"]], lookup.profile, settings.dtype)
    document = {
        "device": device_name(device),
        "torch": torch.__version__,
        "threads": threads,
        "dtype": settings.dtype,
        "hw": settings.hw,
        "channels_last": settings.channels_last,
        "min_time_s": settings.min_time,
        "rounds": settings.rounds,
        "cpu_count": os.cpu_count(),
        "load_average": [load_before, load_average()],
        "baseline": base.spec if base else None,
        "impls": list(settings.impls),
        "clock": settings.clock,
        "profile": lookup.profile.fingerprint.describe() if lookup.profile else None,
        "floor_note": None if lookup.profile else lookup.message,
        "results": results,
    }
    document["busy"] = busy_warning(document)
    return document


def add_floor(row: dict[str, Any], target: Target, profile, dtype: str) -> None:
    """floor_ms (the roofline floor of the target's layers at the row's batch on this machine's
    profile, :mod:`igcdesign.floor`) and ratio_to_floor = latency / floor; None without a profile."""
    from igcdesign.floor import walk_floor

    floor = walk_floor(target.floor_layers, profile, dtype, row["batch"]).floor_ms if profile and target.floor_layers else None
    row["floor_ms"] = floor
    row["ratio_to_floor"] = row["latency_ms"] / floor if floor else None


def busy_warning(document: dict[str, Any]) -> str | None:
    """A warning when the 1-minute load average, before or after the run, exceeded the CPU count
    by more than 0.5 (it counts the probe's own threads): other work competed for the cores, so
    the timings are noisy. None otherwise, or where the OS gives no load average."""
    loads = [x for x in document.get("load_average", ()) if x is not None]
    cpus = document.get("cpu_count")
    if not loads or not cpus or max(loads) <= cpus + 0.5:
        return None
    return (f"the machine was busy (load average {max(loads):.1f} on {cpus} CPUs): timings are noisy, see IQR; "
            "--rounds N keeps each row's least disturbed round, fewer --threads suffer less")


def load_average() -> float | None:
    """The 1-minute load average (None where the OS does not say): other work skews timings."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def measure_one(target, batch: int, device: str, dtype, threads: int, settings: ProbeSettings,
                impl: str = "plain", store=None) -> dict[str, Any]:
    """Build one target in `impl`, count its torch parameters, time it; the result row (no
    ratios yet). A fast module first gets the plan a short measurement picks for this input
    (:mod:`igcdesign.probe.tune`), remembered in `store` (the machine profile, when there is one)."""
    import torch

    from igcdesign.probe.timing import time_module

    module = target.factory(bn=settings.bn, relu=settings.relu, impl=impl).eval()
    params_torch = sum(p.numel() for p in module.parameters())
    layout = torch.channels_last if settings.channels_last else torch.contiguous_format
    module = module.to(device=device, dtype=dtype, memory_format=layout)
    x = torch.randn(batch, *target.input_shape, dtype=torch.float32).to(device=device, dtype=dtype, memory_format=layout)
    plans = None
    if impl == "fast":
        from igcdesign.probe.fast import FastChainModule
        from igcdesign.probe.tune import tune_in_place

        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            module = tune_in_place(module, x, store=store)
        finally:
            torch.set_num_threads(previous)
        plans = sorted({m.rules for m in module.modules() if isinstance(m, FastChainModule)})
    timing = time_module(module, x, device=device, threads=threads, min_time=settings.min_time, clock=settings.clock)
    macs = target.mult_adds * batch
    del module, x
    return {
        "spec": target.spec,
        "impl": impl,
        "plans": plans,
        "kind": target.kind,
        "family": target.family,
        "width": target.width,
        "params": target.params,
        "params_torch": int(params_torch),
        "mult_adds": target.mult_adds,
        "mem_access": target.mem_access,
        "batch": batch,
        "hw": settings.hw,
        "latency_ms": timing.latency_ms,
        "iqr_ms": timing.iqr_ms,
        "blocks": timing.blocks,
        "calls_per_block": timing.calls_per_block,
        "gmacs": macs / timing.median_s / 1e9,
        "latency_per_sample_ms": timing.latency_ms / batch,
    }


def measure_specs(
    specs: Sequence[str],
    hw: int = 32,
    batch: int | Sequence[int] = 1,
    threads: int | None = None,
    *,
    device: str = "cpu",
    dtype: str = "float32",
    channels_last: bool = False,
    min_time: float = 0.2,
    rounds: int = 1,
    baseline: str | None = AUTO,
    progress: Progress | None = None,
    impls: Sequence[str] = ("fast",),
) -> list[dict[str, Any]]:
    """Measure block (or other target) specs; one row per (spec, batch), baseline rows included.

    Each row: spec (canonical), kind, family, width, params (conv weights counted from the chain),
    params_torch (the module's parameters), mult_adds (one sample, on an hw×hw map), mem_access,
    batch, hw, latency_ms (median seconds per call × 1000), iqr_ms (interquartile range),
    blocks and calls_per_block (what blocked_autorange ran), gmacs (achieved 10⁹ MAC/s),
    latency_per_sample_ms, memory_estimate_bytes, is_baseline, round_medians_ms (the median
    of each round), ratio_to_baseline (latency / the baseline's at the same batch and impl; None
    without a baseline), impl ('plain' or 'fast'), plans (the fast blocks' plans, None for
    plain), floor_ms (the roofline floor on this machine's profile, :mod:`igcdesign.floor`) and
    ratio_to_floor (latency / floor), both None without a profile for this fingerprint.

    `rounds` > 1 measures everything that many times, round after round, and keeps for each
    row the round with the lowest median (the least disturbed by other work on the machine).

    `baseline`: AUTO (the widest regular conv with params ≤ the first spec's), a spec, or None.
    Raises IGCError for bad specs or settings, and for what would not fit in memory.
    Example: ``measure_specs(["igcv1:L=4,M=8"], hw=16, batch=[1, 8], threads=2)``.
    """
    batches = (batch,) if isinstance(batch, int) else tuple(batch)
    settings = ProbeSettings(
        hw=hw, batches=batches, device=device, dtype=dtype, threads=threads,
        channels_last=channels_last, min_time=min_time, rounds=rounds, impls=tuple(impls),
    )
    return probe(specs, settings, baseline=baseline, progress=progress)["results"]


# --- what widest, space and net report beside their latencies ---------------------------------


def latency_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The fields of a probe row that a latency column shows."""
    return {key: row.get(key) for key in LATENCY_KEYS}


def context(document: dict[str, Any]) -> dict[str, Any]:
    """How a probe document was measured, and its baseline's own latency (one entry per batch):
    the fields that `widest`, `space` and `net` add to their JSON with --measure."""
    keys = ("device", "torch", "threads", "dtype", "min_time_s", "rounds", "cpu_count", "load_average", "busy",
            "impls", "profile", "floor_note", "clock")
    base = document["baseline"]
    rows = [latency_fields(row) for row in document["results"] if row["is_baseline"]]
    return {**{key: document.get(key) for key in keys},
            "baseline": {"spec": base, "latency": rows} if base else None}


def measure_widest(results, budget: int, kernel: int, settings: ProbeSettings, progress: Progress | None = None) -> dict:
    """Probe each family's optimum against the widest regular k×k conv within the same budget.

    Adds `latency` (one entry per batch size) to each result's extra fields; returns
    :func:`context` of the run.
    """
    from igcdesign.search import widest_regular

    found = [r for r in results if r.spec]
    if not found:
        raise IGCError("no family has a block within this budget: nothing to measure")
    regular = widest_regular(budget, kernel).spec
    specs = [r.spec for r in found if r.spec != regular]
    baseline = regular or AUTO
    if not specs:  # only the regular conv was asked for: nothing to compare it with
        specs, baseline = [regular], None
    document = probe(specs, settings, baseline=baseline, progress=progress)
    rows = document["results"]
    for r in found:
        r.extra["latency"] = [latency_fields(row) for row in rows if row["spec"] == r.spec]
    return context(document)


def rank_near(
    budget: int, k: int, families: Sequence[str], fraction: float, settings: ProbeSettings, top: int,
    expansion=6, g1=2, g2=2, progress: Progress | None = None, rule: str = "checked", constraints=None,
) -> tuple[dict[str, list[dict]], dict | None]:
    """For each family, the `top` widest blocks within `fraction` of its widest width, measured
    against the widest regular conv of the same budget and sorted fastest first (at the first
    batch); with :func:`context` of the run (None when no family has a candidate)."""
    from igcdesign.search import near_widest, widest_regular

    candidates = {
        family: near_widest(budget, k, family, fraction, expansion, g1, g2, limit=top, rule=rule,
                            constraints=constraints)
        for family in families if family != "regular"
    }
    specs = [row["spec"] for rows in candidates.values() for row in rows]
    if not specs:
        return {}, None
    regular = widest_regular(budget, k)
    document = probe(specs, settings, baseline=regular.spec or AUTO, progress=progress)
    first_batch = settings.batches[0]
    measured = {row["spec"]: row for row in document["results"] if row["batch"] == first_batch and not row["is_baseline"]}
    ranked = {}
    for family, rows in candidates.items():
        for row in rows:
            row["latency"] = [latency_fields(r) for r in document["results"] if r["spec"] == row["spec"] and not r["is_baseline"]]
        ranked[family] = sorted(rows, key=lambda row: measured[row["spec"]]["latency_ms"])
    return ranked, context(document)


def measure_rows(specs: Sequence[str], budget: int, kernel: int, settings: ProbeSettings,
                 progress: Progress | None = None) -> tuple[list[dict], dict | None]:
    """Latency of block specs (space's shown rows) against the widest regular conv within
    `budget`: ``[{"config", "latency": [...]}, ...]`` and :func:`context` of the run."""
    from igcdesign.search import widest_regular

    if not specs:
        return [], None
    regular = widest_regular(budget, kernel).spec or AUTO
    document = probe(list(specs), settings, baseline=regular, progress=progress)
    rows = [
        {"config": spec, "latency": [latency_fields(row) for row in document["results"]
                                     if row["spec"] == spec and not row["is_baseline"]]}
        for spec in specs
    ]
    return rows, context(document)


def measure_nets(specs: Sequence[Any], settings: ProbeSettings, *, classes: int | None = None,
                 resolution: int | None = None, bn: bool = False, fc: bool = True,
                 progress: Progress | None = None) -> tuple[dict, list[list[dict[str, Any]]]]:
    """Time whole networks under `net`'s options, all in one run (ratios between them hold; the
    first network is the reference, there is no single-conv baseline for a network).

    Returns (:func:`context`, per spec its latency rows, one per batch). Raises IGCError when a
    built network's parameter count differs from the counted one (a bug, never silently reported).
    """
    from dataclasses import replace

    from igcdesign.nets.counting import count_net
    from igcdesign.nets.probe_hook import target_at

    targets = [target_at(spec, resolution, classes, fc) for spec in specs]
    counted = [count_net(spec, classes=classes, resolution=resolution, bn=bn, fc=fc).params for spec in specs]
    document = probe(targets, replace(settings, bn=bn, relu=False), baseline=None, progress=progress)
    rows = document["results"]
    latencies = []
    for i, (target, params) in enumerate(zip(targets, counted)):
        per = len(targets) * len(settings.impls)  # the plan is batch-major, then target, then impl
        mine = [latency_fields(row) for j, row in enumerate(rows) if (j % per) // len(settings.impls) == i]
        for row in mine:
            if row["params_torch"] != params:
                raise IGCError(f"{target.spec}: torch has {row['params_torch']} parameters, the count says {params}")
        latencies.append(mine)
    return context(document), latencies
