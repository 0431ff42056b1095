"""Options shared by several commands, with their validation."""

from __future__ import annotations

import typer

from igcdesign.errors import IGCError

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON document and nothing else.")
HW_OPTION = typer.Option(32, "--hw", help="Side of the (square) output map, for mult_adds and mem_access.")
KERNEL_OPTION = typer.Option(3, "--kernel", "-k", help="Kernel side k (S = k² taps).")

BATCH_OPTION = typer.Option(["1"], "--batch", "-b", help="With --measure: batch size(s), e.g. 1,32.")
THREADS_OPTION = typer.Option(None, "--threads", help="With --measure: intra-op threads (default: torch's).")
MIN_TIME_OPTION = typer.Option(0.2, "--min-time", help="With --measure: seconds of timed calls per measurement.")

MAX_HW = 1 << 16
MAX_KERNEL = 1 << 10


def check_hw(hw: int) -> int:
    if not 1 <= hw <= MAX_HW:
        raise IGCError(f"--hw must be between 1 and {MAX_HW}, got {hw}")
    return hw


def check_kernel(k: int) -> int:
    if not 1 <= k <= MAX_KERNEL:
        raise IGCError(f"--kernel must be between 1 and {MAX_KERNEL}, got {k}")
    return k
