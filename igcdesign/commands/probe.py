"""`igcdesign probe SPEC [SPEC ...]`: build the real blocks in PyTorch and time them.

torch is imported inside the command body only (and only through igcdesign.probe), so that
`igcdesign --help` and every other command work without it.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from igcdesign.commands._options import CLOCK_OPTION, HW_OPTION, JSON_OPTION, ROUNDS_OPTION, THREADS_OPTION


def probe(
    specs: List[str] = typer.Argument(..., help="Block specs to build and time, e.g. igcv1:L=4,M=32 dwsep:C=64 (grammar: docs/conventions.md)."),
    hw: int = HW_OPTION,
    batch: List[str] = typer.Option(["1"], "--batch", "-b", help="Batch size(s): repeat the option or give 1,32 [1–65,536, at most 64 sizes]."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or auto (cuda when a GPU is available)."),
    threads: Optional[int] = THREADS_OPTION,
    channels_last: bool = typer.Option(False, "--channels-last", help="Run modules and inputs in channels-last (NHWC) layout."),
    dtype: str = typer.Option("float32", "--dtype", help="float32, bfloat16 or float16 (where the device runs it)."),
    baseline: str = typer.Option(
        "auto", "--baseline",
        help="Spec to compare against; 'auto' = widest regular conv with params ≤ the first spec's; 'none' for no baseline.",
    ),
    min_time: float = typer.Option(0.2, "--min-time", help="Seconds of timed calls per measurement (blocked_autorange) [(0, 60]]."),
    rounds: int = ROUNDS_OPTION,
    clock: Optional[str] = CLOCK_OPTION,
    bn_relu: bool = typer.Option(False, "--bn-relu", help="Add BN + ReLU after each block (the papers' 'IGC + BN + ReLU')."),
    impl: str = typer.Option("fast", "--impl", help="fast (batched matrix products, plan tuned and cached), plain (one nn.Conv2d per conv), or plain,fast to time both."),
    json_: bool = JSON_OPTION,
) -> None:
    """Build each block in PyTorch, check its parameters, and time it against a baseline conv."""
    from igcdesign.probe import parse_impls, require_torch
    from igcdesign.validate import check_min_time, parse_batches

    batches = parse_batches(batch)
    impls = parse_impls(impl)
    check_min_time(min_time)
    require_torch()
    from igcdesign.output import emit_json
    from igcdesign.probe.measure import AUTO, ProbeSettings
    from igcdesign.probe.measure import probe as run_probe
    from igcdesign.progress import Progress

    settings = ProbeSettings(
        hw=hw, batches=batches, device=device, dtype=dtype, threads=threads,
        channels_last=channels_last, min_time=min_time, bn=bn_relu, relu=bn_relu, rounds=rounds, impls=impls,
        clock=clock or "wall",
    )
    base = None if baseline.strip().lower() == "none" else (AUTO if baseline.strip().lower() == AUTO else baseline)
    if json_:
        emit_json(run_probe(specs, settings, baseline=base))
        return
    from igcdesign.probe.render import render_probe

    with Progress("probe", delay=0) as progress:
        document = run_probe(specs, settings, baseline=base, progress=progress)
    render_probe(document)


def register(app: typer.Typer) -> None:
    app.command("probe")(probe)
