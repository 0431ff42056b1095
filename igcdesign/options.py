"""typer options shared by several commands; their checks live in :mod:`igcdesign.validate`."""

from __future__ import annotations

import typer

from igcdesign.validate import MAX_HW, MAX_KERNEL, check_hw, check_kernel  # noqa: F401 (the commands' imports)

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON document and nothing else.")
HW_OPTION = typer.Option(32, "--hw", help="Side of the (square) output map, for mult_adds and mem_access.")
KERNEL_OPTION = typer.Option(3, "--kernel", "-k", help="Kernel side k (S = k² taps).")

BATCH_OPTION = typer.Option(["1"], "--batch", "-b", help="With --measure: batch size(s), e.g. 1,32.")
THREADS_OPTION = typer.Option(None, "--threads", help="With --measure: intra-op threads (default: torch's).")
MIN_TIME_OPTION = typer.Option(0.2, "--min-time", help="With --measure: seconds of timed calls per measurement.")
ROUNDS_OPTION = typer.Option(1, "--rounds", help="With --measure: measure everything N times, round after round; keep each row's least disturbed round.")
