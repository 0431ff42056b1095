"""`igcdesign latency SPEC…`: each block's predicted latency on this machine, layer by layer.

The prediction reads the machine profile's layer table (igcdesign.latency) and imports no
torch; `--seed` (the seeding grid) and `--measure-layers` (the specs' missing step shapes)
measure into the profile first, `--measure` times the blocks themselves and shows the error.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from igcdesign.commands._options import JSON_OPTION, MAX_ROUNDS, MAX_THREADS, MIN_TIME_OPTION, int_option
from igcdesign.validate import MAX_HW

MAX_SPECS = 256
MAX_LATENCY_BATCH = 1 << 16


def latency(
    specs: List[str] = typer.Argument(None, help="Block specs, e.g. igcv1:L=4,M=8 dwsep:C=64 (grammar: docs/conventions.md)."),
    hw: int = int_option(32, "--hw", help="Side of the (square) input map.", high=MAX_HW),
    batch: int = int_option(1, "--batch", "-b", help="Batch size.", high=MAX_LATENCY_BATCH),
    impl: str = typer.Option("fast", "--impl", help="fast (the fast module, its fastest plan) or plain (one nn.Conv2d per conv)."),
    profile_file: Optional[str] = typer.Option(None, "--profile", help="Machine profile file (default: this machine's, from `igcdesign calibrate`)."),
    threads: Optional[int] = int_option(None, "--threads", help="Use the profile calibrated with N threads (default: torch's).", high=MAX_THREADS),
    seed: bool = typer.Option(False, "--seed", help="First measure the seeding grid of layer shapes into the profile, then each family's block factor on a few calibration blocks (a few minutes on 2 cores)."),
    measure_layers: bool = typer.Option(False, "--measure-layers", help="First measure the specs' layer shapes the profile lacks, into it."),
    measure: bool = typer.Option(False, "--measure", help="Also time each block (fast: tuned plan) and show the prediction's error."),
    min_time: float = MIN_TIME_OPTION,
    rounds: int = int_option(1, "--rounds", help="With --seed, --measure-layers or --measure: measure N times, keep the least disturbed.", high=MAX_ROUNDS),
    json_: bool = JSON_OPTION,
) -> None:
    """Predict each block's latency on this machine from its profile's layer table: predicted_ms,
    floor_ms and per layer, with the model's measured error here."""
    from igcdesign.errors import IGCError
    from igcdesign.families import parse_block
    from igcdesign.latency import check_sizes, refuse_units
    from igcdesign.validate import check_min_time

    specs = list(specs or [])
    if len(specs) > MAX_SPECS:
        raise IGCError(f"at most {MAX_SPECS} specs, got {len(specs)}")
    if not specs and not seed:
        raise IGCError("give at least one block spec (or --seed to measure the seeding grid)")
    check_sizes(hw, batch, impl)
    check_min_time(min_time)
    refuse_units(specs)
    blocks = [parse_block(spec) for spec in specs]
    profile, path = _profile(profile_file, threads)
    progress = _progress(json_)
    if seed or measure_layers:
        from igcdesign.probe import require_torch

        require_torch()
        from igcdesign.probe.layer_latency import calibrate_blocks, measure_missing, seed as seed_grid
        from igcdesign.profile import ProfileStore

        store = ProfileStore(profile, path)
        if seed:
            seed_grid(store, rounds=rounds, progress=progress("latency --seed"))
            calibrate_blocks(store, progress=progress("latency --seed: block factors"))
        if measure_layers and blocks:
            measure_missing(blocks, hw=hw, batch=batch, impl=impl, store=store, rounds=rounds,
                            progress=progress("latency --measure-layers"))
        profile = store.profile
    from igcdesign.latency import accuracy_dict, accuracy_text, predict

    rows = []
    for block in blocks:
        prediction = predict(block, hw=hw, batch=batch, impl=impl, profile=profile)
        rows.append({"spec": block.spec, **prediction.as_dict()})
    measured = _measure(blocks, rows, hw, batch, impl, profile, min_time, rounds, progress) if measure and blocks else None
    document = {
        "profile": profile.fingerprint.describe(), "profile_path": str(path) if path else None,
        "hw": hw, "batch": batch, "impl": impl, "layer_shapes": len(profile.layer_latency_ms),
        "accuracy": accuracy_dict(profile.latency_accuracy), "accuracy_text": accuracy_text(profile.latency_accuracy),
        "measured": measured, "results": rows,
    }
    if json_:
        from igcdesign.output import emit_json

        emit_json(document)
        return
    from igcdesign.latency.render import render_latency

    render_latency(document)


def _profile(profile_file: Optional[str], threads: Optional[int]):
    """(the profile, the file it is saved to) or IGCError saying to calibrate."""
    from pathlib import Path

    from igcdesign.errors import IGCError
    from igcdesign.profile import find_default_profile, profile_path, read_profile

    if profile_file is not None:
        path = Path(profile_file)
        return read_profile(path), path
    lookup = find_default_profile("cpu", threads)
    if lookup.profile is None:
        raise IGCError(lookup.message)
    return lookup.profile, profile_path(lookup.profile.fingerprint)


def _progress(quiet: bool):
    """A factory of stderr progress callbacks: a counter line every 10 % (every step on a terminal)."""
    import sys

    def make(label: str):
        live = sys.stderr.isatty()

        def report(done: int, total: int, what: str) -> None:
            if not total:
                return
            if live:
                sys.stderr.write(f"\r{label}: {done}/{total} {what[:50]:<50}" + ("\n" if done == total else ""))
            elif done == total or done % max(1, total // 10) == 0:
                sys.stderr.write(f"{label}: {done}/{total} {what}\n")
            sys.stderr.flush()

        return report

    return make


def _measure(blocks, rows, hw, batch, impl, profile, min_time, rounds, progress):
    """Time every block (probe's machinery, no baseline) on the profile's threads; add measured_ms
    and error = predicted / measured − 1 to the rows; the run's context."""
    from igcdesign.probe import require_torch

    require_torch()
    from igcdesign.probe.measure import ProbeSettings, context, probe

    from igcdesign.probe.layer_latency import uses_cpu_clock

    threads = profile.fingerprint.threads  # measured by the clock the layer table was measured by
    settings = ProbeSettings(hw=hw, batches=(batch,), threads=threads, dtype=profile.fingerprint.dtype,
                             min_time=min_time, rounds=rounds, impls=(impl,),
                             clock="cpu" if uses_cpu_clock(threads) else "wall")
    document = probe([block.spec for block in blocks], settings, baseline=None, progress=progress("latency --measure"))
    by_spec = {row["spec"]: row for row in document["results"]}
    for row in rows:
        got = by_spec[row["spec"]]
        row["measured_ms"] = got["latency_ms"]
        row["measured_iqr_ms"] = got["iqr_ms"]
        row["measured_plans"] = got["plans"]
        row["error"] = row["predicted_ms"] / got["latency_ms"] - 1
    return context(document)


def register(app: typer.Typer) -> None:
    app.command("latency")(latency)
