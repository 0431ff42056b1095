"""Text tables that fit the terminal without ever folding a number or a spec.

`fit_widths` is the one layout rule of every table the tool prints (rich tables go through
igcdesign.output.print_table, which calls it): a cell is either kept whole (numbers, specs) or
wrapped at spaces only (prose), never cut inside a word. A table wider than the terminal
first drops the columns its caller named as optional, in their order; if it still does not
fit it is printed at its narrowest unfolded width with `too_wide_note` under it.

`box_table` draws such a table without rich, in the style of rich's default table (heavy head,
light body), for `widest`, which must answer instantly.
"""

from __future__ import annotations

import os
import textwrap
import unicodedata
from dataclasses import dataclass
from typing import Sequence


def text_width(text: str) -> int:
    """Terminal cells taken by a line: wide (East Asian) characters take two, combining ones none."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def terminal_width() -> int:
    """Columns of the terminal, decided as rich decides for the other tables: $COLUMNS, else the
    size of the first of stdin, stdout, stderr that is a terminal, else 80."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (OSError, ValueError):
            continue
    return 80


@dataclass(frozen=True)
class Need:
    """A column's content width: at least `least` (its longest unbreakable piece), at most `most`
    (its longest line); `whole` when its cells are never wrapped (only its header may be)."""

    least: int
    most: int
    whole: bool = False


@dataclass(frozen=True)
class Fit:
    """Content widths per column (None: dropped) and whether the table fits the terminal."""

    widths: list[int | None]
    fits: bool

    @property
    def dropped(self) -> list[int]:
        return [i for i, w in enumerate(self.widths) if w is None]


def fit_widths(needs: Sequence[Need], overhead: int, per_column: int, available: int,
               drop: Sequence[int] = ()) -> Fit:
    """Widths for columns with `needs` in a table of `available` terminal columns.

    `overhead` is the width of the table's frame without columns, `per_column` the frame and
    padding each column adds. Optional columns (`drop`, in order) go one by one until the
    narrowest unfolded table fits. The spare width first unwraps the headers of columns kept
    whole (smallest first), then goes a cell at a time to the column furthest from its natural
    width, so that the wrapping columns wrap about equally little.
    """
    kept = list(range(len(needs)))

    def least() -> int:
        return overhead + sum(needs[i].least + per_column for i in kept)

    for index in drop:
        if least() <= available or len(kept) == 1:
            break
        if index in kept:
            kept.remove(index)
    fits = least() <= available
    widths: list[int | None] = [None] * len(needs)
    for i in kept:
        widths[i] = needs[i].least
    spare = max(0, available - least())
    for i in sorted((i for i in kept if needs[i].whole), key=lambda i: needs[i].most - needs[i].least):
        grow = min(spare, needs[i].most - widths[i])  # whole cells: only the header can still wrap
        widths[i] += grow
        spare -= grow
    while spare:  # one cell at a time to the column furthest from its natural width
        i = max(kept, key=lambda i: needs[i].most - widths[i])
        if needs[i].most <= widths[i]:
            break
        widths[i] += 1
        spare -= 1
    return Fit(widths, fits)


def fit_note(fit: Fit, names: Sequence[str], need: int, available: int, alternative: str = "--json") -> str | None:
    """The line under a table that left columns out, or does not fit even without them."""
    parts = []
    if fit.dropped:
        parts.append(f"left out to fit {available} columns: {', '.join(names[i] for i in fit.dropped)}")
    if not fit.fits:
        parts.append(f"this table needs {need} columns, the terminal has {available}")
    if not parts:
        return None
    return f"({'; '.join(parts)}; {alternative} has every value)"


def _wrap(text: str, width: int) -> list[str]:
    """Lines of `text`, each line wider than `width` wrapped at spaces (never inside a word)."""
    lines: list[str] = []
    for line in text.split("\n"):
        if text_width(line) <= width:
            lines.append(line)
        else:
            lines.extend(textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""])
    return lines


def _words(line: str) -> list[str]:
    """The pieces textwrap never breaks: split at ASCII spaces only (a no-break space binds)."""
    return [w for w in line.split(" ") if w]


def _widest(pieces) -> int:
    return max((text_width(p) for p in pieces), default=0)


def column_need(cell_lines: Sequence[str], header: str, wrap: bool) -> Need:
    """What a column needs: cells kept whole (or, with `wrap`, broken at spaces) and the header
    broken at spaces at most."""
    whole = _widest(cell_lines)
    cells_least = _widest(w for line in cell_lines for w in _words(line)) if wrap else whole
    least = max(cells_least, _widest(_words(header)))
    return Need(least, max(least, whole, text_width(header)), not wrap)


def box_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str] | None], right: Sequence[bool],
              wrap: Sequence[str] = (), drop: Sequence[str] = (), width: int | None = None,
              alternative: str = "--json") -> str:
    """The table as text: `right[i]` right-aligns column i; a row of None draws a rule.

    Columns named in `wrap` wrap at spaces; all others are kept whole. Columns named in `drop`
    are left out, in that order, while the table is wider than `width` (default: the terminal).
    """
    width = terminal_width() if width is None else width
    body = [[str(cell) for cell in row] for row in rows if row is not None]
    needs = [column_need([line for row in body for line in row[i].split("\n")], h, h in wrap)
             for i, h in enumerate(headers)]
    fit = fit_widths(needs, 1, 3, width, [headers.index(h) for h in drop if h in headers])
    keep = [i for i, w in enumerate(fit.widths) if w is not None]
    widths = [fit.widths[i] for i in keep]

    def line(left: str, fill: str, mid: str, end: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + end

    def cells(values: Sequence[str], bar: str) -> list[str]:
        split = [_wrap(values[i], w) for i, w in zip(keep, widths)]
        out = []
        for k in range(max(len(lines) for lines in split)):
            parts = []
            for lines, i, w in zip(split, keep, widths):
                text = lines[k] if k < len(lines) else ""
                pad = " " * (w - text_width(text))
                parts.append(pad + text if right[i] else text + pad)
            out.append(bar + bar.join(f" {p} " for p in parts) + bar)
        return out

    total = sum(widths) + 3 * len(widths) + 1
    out = [_center(title, total)] if title else []
    header_lines = cells(list(headers), "┃")
    out += [line("┏", "━", "┳", "┓"), *header_lines, line("┡", "━", "╇", "┩")]
    for row in rows:
        if row is None:
            out.append(line("├", "─", "┼", "┤"))
        else:
            out.extend(cells([str(c) for c in row], "│"))
    out.append(line("└", "─", "┴", "┘"))
    note = fit_note(fit, headers, total, width, alternative)
    if note:
        out.extend(_wrap(note, max(width, 20)))
    return "\n".join(out) + "\n"


def _center(title: str, total: int) -> str:
    """The title centred over the table, wrapped at spaces when it is wider."""
    return "\n".join(line.center(total).rstrip() for line in _wrap(title, max(total, 20)))
