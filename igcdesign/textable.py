"""Box-drawn text tables without rich, for the paths that must answer instantly.

Drawn in the style of rich's default table (heavy head, light body) so that `widest` looks
like every other command, at a fraction of the import cost. Cells may hold several lines.
"""

from __future__ import annotations

from typing import Sequence


def box_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """The table as text: `right[i]` right-aligns column i; a row of None draws a rule."""
    body = [[str(cell).split("\n") for cell in row] for row in rows if row is not None]
    widths = [len(h) for h in headers]
    for row in body:
        for i, lines in enumerate(row):
            widths[i] = max(widths[i], *(len(line) for line in lines))

    def line(left: str, fill: str, mid: str, end: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + end

    def cells(values: Sequence[str], bar: str) -> str:
        parts = [(v.rjust(w) if r else v.ljust(w)) for v, w, r in zip(values, widths, right)]
        return bar + bar.join(f" {p} " for p in parts) + bar

    total = sum(widths) + 3 * len(widths) + 1
    out = [title.center(total).rstrip()] if title else []
    out += [line("┏", "━", "┳", "┓"), cells(headers, "┃"), line("┡", "━", "╇", "┩")]
    for row in rows:
        if row is None:
            out.append(line("├", "─", "┼", "┤"))
            continue
        split = [str(cell).split("\n") for cell in row]
        for k in range(max(len(lines) for lines in split)):
            out.append(cells([lines[k] if k < len(lines) else "" for lines in split], "│"))
    out.append(line("└", "─", "┴", "┘"))
    return "\n".join(out) + "\n"
