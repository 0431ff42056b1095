"""Rendering helpers shared by the commands: one JSON document on stdout, or rich for people."""

from __future__ import annotations

import json
import math
import sys
from typing import Any, Sequence


def emit_json(document: Any) -> None:
    """Print exactly one JSON document (and a newline) on stdout."""
    unicode = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "") in ("utf8", "utf16", "utf32")
    text = json.dumps(document, indent=2, default=_default, allow_nan=False, ensure_ascii=not unicode)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def console(**options: Any):
    """A rich console on stdout (imported on demand) that prints text verbatim: markup is off, so
    user text such as 'fig[old].png' or '[bold red]' is never read as style. Styles are given as
    Text objects or style= arguments instead."""
    from rich.console import Console

    class VerbatimConsole(Console):
        def on_broken_pipe(self) -> None:  # rich exits 1 here, which `check` would read as a verdict
            self.quiet = True
            raise BrokenPipeError("output pipe closed")

    options.setdefault("highlight", False)
    options.setdefault("markup", False)
    return VerbatimConsole(**options)


def print_table(table, out=None, wrap: Sequence[str] = (), drop: Sequence[str] = (),
                alternative: str = "--json") -> None:
    """Print a rich table that never cuts or folds a number or a spec.

    Cells of the columns whose headers are in `wrap` wrap at spaces; every other cell is kept
    whole. A table wider than the console leaves out the `drop` columns, in that order, until
    it fits, and says so under it; one that still does not fit is printed at its narrowest
    unfolded width, with a line pointing to `alternative` (igcdesign.textable.fit_widths).
    """
    from rich.measure import Measurement

    from igcdesign.textable import Need, fit_note, fit_widths

    out = out or console()
    probe = console(width=100_000)
    options = probe.options
    names = [str(column.header) for column in table.columns]
    needs = []
    for column in table.columns:
        cells = [Measurement.get(probe, options, cell) for cell in column.cells]
        header = Measurement.get(probe, options, column.header) if table.show_header else Measurement(0, 0)
        whole = max([m.maximum for m in cells], default=0)
        least = max([m.minimum if column.header in wrap else m.maximum for m in cells] + [header.minimum], default=1)
        needs.append(Need(max(least, 1), max(least, whole, header.maximum), column.header not in wrap))
    for column in table.columns:  # measure the frame: every column one cell wide
        column.width, column.min_width, column.max_width = 1, None, None
    frame = probe.measure(table).maximum - len(table.columns)
    per_column = frame // max(1, len(table.columns))
    overhead = frame - per_column * len(table.columns)
    fit = fit_widths(needs, overhead, per_column, out.width, [names.index(n) for n in drop if n in names])
    for index in reversed(fit.dropped):
        table.columns.pop(index)
    for index, column in enumerate(table.columns):
        column._index = index
    for column, width in zip(table.columns, [w for w in fit.widths if w is not None]):
        column.width = width  # fixed: rich neither collapses nor folds it; cells kept whole fit in it
    total = probe.measure(table).maximum
    printer = out if total <= out.width else console(width=total, file=out.file)
    printer.print(table)
    note = fit_note(fit, names, total, out.width, alternative)
    if note:
        out.print(note, markup=False, highlight=False)


def group_digits(n: int) -> str:
    return f"{n:,}"


def fmt_float(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:,.{digits}f}"
