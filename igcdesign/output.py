"""Rendering helpers shared by the commands: one JSON document on stdout, or rich for people."""

from __future__ import annotations

import json
import math
import sys
from typing import Any


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


def console():
    """A rich console on stdout (imported on demand)."""
    from rich.console import Console

    return Console(highlight=False)


def print_table(table, out=None) -> None:
    """Print a rich table no narrower than its longest unbreakable cells, so that no number is
    cut or folded; text still wraps at spaces, and a narrow terminal wraps whole lines."""
    from rich.console import Console

    out = out or console()
    unbreakable = Console(width=100_000).measure(table).minimum
    if unbreakable > out.width:
        out = Console(highlight=False, width=unbreakable, file=out.file)
    out.print(table)


def group_digits(n: int) -> str:
    return f"{n:,}"


def fmt_float(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:,.{digits}f}"
