"""typer options shared by several commands; their checks live in :mod:`igcdesign.validate`.

Every integer option of every command is an :func:`int_option`: one click type,
:class:`WholeNumber`, that accepts exactly what a spec value accepts (ASCII digits, no '_', no
sign, no other scripts' digits) within the bounds its --help states.
"""

from __future__ import annotations

from typing import Any

import typer
from typer._click import types as click_types

from igcdesign.validate import MAX_HW, MAX_KERNEL, check_hw, check_kernel  # noqa: F401 (the commands' imports)

MAX_EXPANSION = 1 << 10
MAX_GROUPS = 1 << 20
MAX_THREADS = 1024
MAX_ROUNDS = 100
MAX_WIDTH_OPTION = 10**15 - 1  # as large as a spec value


class WholeNumber(click_types.ParamType):
    """A whole number in [low, high] in ASCII digits; anything else is a one-line usage error."""

    name = "integer"

    def __init__(self, low: int = 1, high: int = MAX_WIDTH_OPTION) -> None:
        self.low, self.high = low, high

    def convert(self, value: Any, param, ctx) -> int:
        if isinstance(value, int) and not isinstance(value, bool):  # a default
            return value
        from igcdesign.numbers import parse_whole

        name = max(param.opts, key=len) if param is not None and param.opts else "value"
        return parse_whole(value, name, self.low, self.high)  # IGCError: one line, exit 2

    def get_metavar(self, param, ctx=None) -> str:
        return "INT"


def int_option(default: Any, *names: str, help: str, low: int = 1, high: int = MAX_WIDTH_OPTION,
               show_range: bool = True, **extra: Any):
    """A typer option holding a whole number in [low, high]; the range is appended to its help
    (show_range=False where the help states a tighter bound that the command checks itself)."""
    text = f"{help} [{low:,}–{high:,}]" if show_range else help
    return typer.Option(default, *names, click_type=WholeNumber(low, high), help=text, **extra)


JSON_OPTION = typer.Option(False, "--json", help="Print one JSON document and nothing else.")
HW_OPTION = int_option(32, "--hw", help="Side of the (square) input map; each layer is costed at its own output map (a conv with s=2 halves it, rounding up).", high=MAX_HW)
KERNEL_OPTION = int_option(3, "--kernel", "-k", help="Kernel side k (S = k² taps).", high=MAX_KERNEL)
EXPANSION_OPTION = int_option(6, "--expansion", "-t", help="IGCV3 expansion t (C_int = t·C).", high=MAX_EXPANSION)

BATCH_OPTION = typer.Option(["1"], "--batch", "-b", help="With --measure: batch size(s), e.g. 1,32 [1–65,536, at most 64 sizes].")
THREADS_OPTION = int_option(None, "--threads", help="Intra-op threads while timing (default: torch's).", high=MAX_THREADS)
MIN_TIME_OPTION = typer.Option(0.2, "--min-time", help="With --measure: seconds of timed calls per measurement [(0, 60]].")
CLOCK_OPTION = typer.Option(None, "--clock", help="wall or cpu: time by the wall clock, or by the process's CPU time (one thread on the CPU: each call's time with a core to itself, which other work does not stretch). Default: wall; with --latency-budget, the clock of the latency model's layer table (cpu at 1 thread).")
ROUNDS_OPTION = int_option(1, "--rounds", help="With --measure: measure everything N times, round after round; keep each row's least disturbed round.", high=MAX_ROUNDS)
