"""Probe specs: build each module, check it against the counts, time it against a baseline.

:func:`measure_specs` is the library entry point (used by ``probe``, and by ``widest --measure``
and ``space --measure``); :func:`probe` returns the whole JSON document of ``igcdesign probe``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from igcdesign.errors import IGCError

MAX_BATCH = 1 << 16
MAX_THREADS = 1024
AUTO = "auto"

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


def check_settings(settings: ProbeSettings) -> tuple[str, Any, int]:
    """Validate settings: (device, torch dtype, threads) or IGCError with one line."""
    import torch

    from igcdesign.options import check_hw
    from igcdesign.probe.device import check_dtype, resolve_device

    check_hw(settings.hw)
    if not settings.batches:
        raise IGCError("--batch: give at least one batch size")
    for b in settings.batches:
        if not 1 <= b <= MAX_BATCH:
            raise IGCError(f"--batch must be between 1 and {MAX_BATCH}, got {b}")
    if not 1 <= settings.rounds <= 100:
        raise IGCError(f"--rounds must be between 1 and 100, got {settings.rounds}")
    if not settings.min_time > 0 or settings.min_time > 60:
        raise IGCError(f"--min-time must be in (0, 60] seconds, got {settings.min_time}")
    threads = settings.threads if settings.threads is not None else torch.get_num_threads()
    if not 1 <= threads <= MAX_THREADS:
        raise IGCError(f"--threads must be between 1 and {MAX_THREADS}, got {threads}")
    device = resolve_device(settings.device)
    dtype = check_dtype(device, settings.dtype)
    return device, dtype, threads


def resolve_baseline(baseline: str | None, first, hw: int):
    """The baseline target: None, an explicit spec, or AUTO = the widest regular conv within
    the first target's parameter budget, with the first target's largest kernel. A single conv
    is no baseline for a whole network: AUTO means none there (name one with --baseline)."""
    from igcdesign.probe.targets import regular_baseline_spec, resolve_target

    if baseline is None or (baseline == AUTO and first.kind == "network"):
        return None
    if baseline == AUTO:
        baseline = regular_baseline_spec(first.params_symbolic, first.kernel)
    return resolve_target(baseline, hw)


def probe(
    specs: Sequence[str],
    settings: ProbeSettings = ProbeSettings(),
    *,
    baseline: str | None = AUTO,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Measure every spec at every batch size, with the baseline measured in the same run.

    Everything is validated and every memory estimate checked before the first module is
    built, so a bad spec or an impossible size fails (IGCError) without half a run.
    Returns ``{"device", "torch", "threads", "dtype", "hw", "channels_last", "min_time_s",
    "rounds", "cpu_count", "load_average": [before, after], "baseline", "results": [...]}``;
    each result is the row described in :func:`measure_specs`. A load average above
    cpu_count − threads means other work competed for the cores: read the IQRs.
    """
    import torch

    from igcdesign.probe.device import available_memory, device_name
    from igcdesign.probe.memory import check_fits
    from igcdesign.probe.targets import resolve_target

    if not specs:
        raise IGCError("give at least one spec to probe")
    device, dtype, threads = check_settings(settings)
    targets = [resolve_target(s, settings.hw) for s in specs]
    base = resolve_baseline(baseline, targets[0], settings.hw)
    everything = ([base] if base else []) + targets
    free = available_memory(device)
    estimates = {}
    for t in everything:
        for b in settings.batches:
            estimates[t.spec, b] = check_fits(t, b, settings.dtype, free)

    plan = [(b, t, t is base) for b in settings.batches for t in everything]
    steps = len(plan) * settings.rounds
    load_before = load_average()
    rounds: list[list[dict[str, Any]]] = []
    for r in range(settings.rounds):  # whole rounds, so that drift or load hits every spec alike
        rows = []
        for i, (batch, target, is_base) in enumerate(plan):
            if progress:
                progress(r * len(plan) + i, steps, f"{target.spec} ×{batch}")
            row = measure_one(target, batch, device, dtype, threads, settings)
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
    base_latency = {row["batch"]: row["latency_ms"] for row in results if row["is_baseline"]}
    for row in results:
        ref = base_latency.get(row["batch"])
        row["ratio_to_baseline"] = row["latency_ms"] / ref if ref else None
    return {
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
        "results": results,
    }


def load_average() -> float | None:
    """The 1-minute load average (None where the OS does not say): other work skews timings."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def measure_one(target, batch: int, device: str, dtype, threads: int, settings: ProbeSettings) -> dict[str, Any]:
    """Build one target, count its torch parameters, time it; the result row (no ratio yet)."""
    import torch

    from igcdesign.probe.timing import time_module

    module = target.factory(bn=settings.bn, relu=settings.relu).eval()
    params_torch = sum(p.numel() for p in module.parameters())
    layout = torch.channels_last if settings.channels_last else torch.contiguous_format
    module = module.to(device=device, dtype=dtype, memory_format=layout)
    x = torch.randn(batch, *target.input_shape, dtype=torch.float32).to(device=device, dtype=dtype, memory_format=layout)
    timing = time_module(module, x, device=device, threads=threads, min_time=settings.min_time)
    macs = target.mult_adds * batch
    del module, x
    return {
        "spec": target.spec,
        "kind": target.kind,
        "family": target.family,
        "width": target.width,
        "params_symbolic": target.params_symbolic,
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
) -> list[dict[str, Any]]:
    """Measure block (or other target) specs; one row per (spec, batch), baseline rows included.

    Each row: spec (canonical), kind, family, width, params_symbolic (chain count),
    params_torch (the module's parameters), mult_adds (one sample, on an hw×hw map), mem_access,
    batch, hw, latency_ms (median seconds per call × 1000), iqr_ms (interquartile range),
    blocks and calls_per_block (what blocked_autorange ran), gmacs (achieved 10⁹ MAC/s),
    latency_per_sample_ms, memory_estimate_bytes, is_baseline, round_medians_ms (the median
    of each round), ratio_to_baseline (latency / the baseline's at the same batch; None
    without a baseline).

    `rounds` > 1 measures everything that many times, round after round, and keeps for each
    row the round with the lowest median (the least disturbed by other work on the machine).

    `baseline`: AUTO (the widest regular conv with params ≤ the first spec's), a spec, or None.
    Raises IGCError for bad specs or settings, and for what would not fit in memory.
    Example: ``measure_specs(["igcv1:L=4,M=8"], hw=16, batch=[1, 8], threads=2)``.
    """
    batches = (batch,) if isinstance(batch, int) else tuple(batch)
    settings = ProbeSettings(
        hw=hw, batches=batches, device=device, dtype=dtype, threads=threads,
        channels_last=channels_last, min_time=min_time, rounds=rounds,
    )
    return probe(specs, settings, baseline=baseline, progress=progress)["results"]
