"""GitHub markdown tables for the report's sections (no extra dependency)."""

from __future__ import annotations

from typing import Any, Sequence


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 1000 else str(value)
    return "" if value is None else str(value).replace("|", "\\|")


def markdown_table(rows: Sequence[dict], columns: Sequence[str], headers: Sequence[str] | None = None,
                   bold: Sequence[bool] | None = None) -> str:
    """A GitHub markdown table of `columns` of `rows`; rows with bold[i] True are set in bold."""
    headers = list(headers or columns)
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---:" if _numeric(rows, c) else "---" for c in columns) + "|"]
    for i, row in enumerate(rows):
        cells = [_cell(row.get(c)) for c in columns]
        if bold and bold[i]:
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _numeric(rows: Sequence[dict], column: str) -> bool:
    values = [r.get(column) for r in rows if r.get(column) is not None and r.get(column) != ""]
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
