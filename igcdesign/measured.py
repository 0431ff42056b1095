"""Latency-aware design: measure the widest blocks, and rank the nearly-as-wide ones by latency.

Parameter counts are not latency. These functions join the exact searches of
:mod:`igcdesign.search` to the PyTorch probe (:mod:`igcdesign.probe.measure`), so that
"widest for the budget" can become "fastest among the wide enough". torch is imported only
when one of them runs.
"""

from __future__ import annotations

from typing import Sequence

from igcdesign.errors import IGCError
from igcdesign.search import WidestResult, near_widest


def probe_settings(hw: int, batch: Sequence[str], threads: int | None, min_time: float):
    """Validated probe settings from a command's --hw/--batch/--threads/--min-time options.

    Fails (IGCError, one line) before anything is enumerated, built or timed.
    """
    from igcdesign.commands.probe import parse_batches
    from igcdesign.probe import require_torch

    batches = parse_batches(list(batch))
    require_torch()
    from igcdesign.probe.measure import ProbeSettings, check_settings

    settings = ProbeSettings(hw=hw, batches=batches, threads=threads, min_time=min_time)
    check_settings(settings)
    return settings


def progress_context(quiet: bool):
    """A progress bar on stderr for people; nothing under --json."""
    import contextlib

    if quiet:
        return contextlib.nullcontext(None)
    from igcdesign.probe.render import progress_bar

    return progress_bar()


def parse_percent(text: str) -> float:
    """'2%', '2' or '0.5%' → a fraction in [0, 0.5]; IGCError otherwise."""
    raw = str(text).strip().rstrip("%").strip()
    try:
        value = float(raw)
    except ValueError:
        raise IGCError(f"--near: '{text}' is not a percentage (try 2%)") from None
    if not 0 <= value <= 50:
        raise IGCError(f"--near must be between 0% and 50%, got '{text}'")
    return value / 100


def latency_fields(row: dict) -> dict:
    """The fields of a probe row that a latency column shows."""
    keys = ("batch", "latency_ms", "iqr_ms", "gmacs", "ratio_to_baseline", "params_torch")
    return {key: row.get(key) for key in keys}


def measure_widest(results: Sequence[WidestResult], settings, progress=None) -> str:
    """Probe each family's optimum, with the regular conv of the same budget as the baseline.

    Adds `latency` (one entry per batch size) to each result's extra fields; returns the device.
    """
    from igcdesign.probe.measure import probe

    found = [r for r in results if r.spec]
    if not found:
        raise IGCError("no family has a block within this budget: nothing to measure")
    regular = next((r.spec for r in found if r.family == "regular"), None)
    specs = [r.spec for r in found if r.spec != regular]
    baseline = regular if regular else "auto"
    if not specs:  # only the regular conv was asked for
        specs, baseline = [regular], None
    document = probe(specs, settings, baseline=baseline, progress=progress)
    rows = document["results"]
    for r in found:
        r.extra["latency"] = [latency_fields(row) for row in rows if row["spec"] == r.spec]
    return document["device"]


def rank_near(
    budget: int, k: int, families: Sequence[str], fraction: float, settings, top: int,
    expansion: int = 6, g1: int = 2, g2: int = 2, progress=None,
) -> dict[str, list[dict]]:
    """For each family, the `top` widest blocks within `fraction` of its widest width, measured
    against the regular conv of the same budget and sorted fastest first (at the first batch)."""
    from igcdesign.probe.measure import probe
    from igcdesign.search import widest_regular

    candidates = {
        family: near_widest(budget, k, family, fraction, expansion, g1, g2, limit=top)
        for family in families if family != "regular"
    }
    specs = [row["spec"] for rows in candidates.values() for row in rows]
    if not specs:
        return {}
    regular = widest_regular(budget, k)
    document = probe(specs, settings, baseline=regular.spec or "auto", progress=progress)
    first_batch = settings.batches[0]
    measured = {row["spec"]: row for row in document["results"] if row["batch"] == first_batch}
    ranked = {}
    for family, rows in candidates.items():
        for row in rows:
            row["latency"] = [latency_fields(r) for r in document["results"] if r["spec"] == row["spec"]]
        ranked[family] = sorted(rows, key=lambda row: measured[row["spec"]]["latency_ms"])
    return ranked
