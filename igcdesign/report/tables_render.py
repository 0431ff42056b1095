"""Width tables (igcdesign.tables) as JSON, CSV, markdown, LaTeX or a rich table."""

from __future__ import annotations

import sys
from typing import Any, Sequence

from igcdesign.tables import WidthTable

HEADERS = {
    "ratio": "width/regular", "dev_pct": "Δ vs T (%)", "within_tolerance": "within tol.",
    "near_ln_C": "L ≈ 1+ln C", "n_1x1": "1×1 convs", "C_int": "C_int", "C_s": "C_s", "predicted_ms": "predicted ms",
}
OVER_BUDGET = "over T"  # the widest column of a row whose params exceed the budget
# Left out, in this order, of a rich table wider than the terminal (--json and --csv keep them).
OPTIONAL_COLUMNS = ("within_tolerance", "near_ln_C", "C_s", "paths", "n_1x1", "dev_pct", "ratio", "C_int")


def title(family: str) -> str:
    from igcdesign.families import FAMILIES

    return FAMILIES[family].table_title


def print_text(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def tables_json(tables: Sequence[WidthTable], family: str) -> dict[str, Any]:
    first = tables[0]
    if len(tables) == 1:
        return {"budget": first.budget, "kernel": first.kernel, **tables[0].as_dict()}
    return {"budget": first.budget, "kernel": first.kernel, "family": family,
            "tables": [t.as_dict() for t in tables]}


def bound_line(table: WidthTable) -> str:
    """The continuous bound and the rule in force, in words."""
    return f"{_bound_words(table)}; rule: {table.rule}"


def _bound_words(table: WidthTable) -> str:
    b = table.bound
    if table.family == "igcv1":
        return (f"continuous bound: width (T/(2√S))^(2/3) = {b['width']:.2f} at L = M·S, "
                f"L = {b['L']:.2f}, M = {b['M']:.2f}; regular conv width √(T/S) = {b['regular_width']:.2f}")
    if table.family == "igcv2":
        if not b.get("L"):
            return "continuous bound: no block fits"
        return (f"continuous bound: C = {b['width']:.2f} solving C·(S + e·ln C) = T, "
                f"best L = 1 + ln C = {b['L']:.2f} group convs")
    at = ", ".join(f"{key} = {value}" for key, value in b.items() if key != "width")
    return f"continuous bound{f' ({at})' if at else ''}: C = {b['width']:.2f}"


def _frame(table: WidthTable, with_spec: bool = True):
    import pandas as pd

    columns = table.columns + (["spec"] if with_spec else [])
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in table.rows], columns=columns)


def tables_frame(tables: Sequence[WidthTable]):
    """The rows of the tables as one pandas DataFrame: family, budget, each table's columns, spec
    (what --csv prints)."""
    import pandas as pd

    frames = []
    for t in tables:
        frame = _frame(t)
        frame.insert(0, "family", t.family)
        frame.insert(1, "budget", t.budget)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def tables_csv(tables: Sequence[WidthTable]) -> str:
    return tables_frame(tables).to_csv(index=False, lineterminator="\n", float_format="%.6g")


def widest_cell(row: dict[str, Any]) -> Any:
    """The widest column as people read it: the mark, or a label for a row over the budget."""
    if not row.get("within_budget", True):
        return OVER_BUDGET
    return row.get("widest", False)


def _display_rows(table: WidthTable) -> list[dict[str, Any]]:
    rows = []
    for r in table.rows:
        row = dict(r)
        row["widest"] = widest_cell(r)
        for key in ("ratio", "dev_pct"):
            if isinstance(row.get(key), float):
                row[key] = round(row[key], 2)
        rows.append(row)
    return rows


def tables_markdown(tables: Sequence[WidthTable]) -> str:
    from igcdesign.report.markdown import markdown_table

    parts = []
    for t in tables:
        rows = _display_rows(t)
        parts.append(f"### {title(t.family)}, T = {t.budget:,}, k = {t.kernel}\n\n"
                     + markdown_table(rows, t.columns, [HEADERS.get(c, c) for c in t.columns],
                                      bold=[r.get("widest") is True for r in rows])
                     + f"\n{bound_line(t)}\n")
    return "\n".join(parts)


def tables_latex(tables: Sequence[WidthTable]) -> str:
    parts = []
    for t in tables:
        frame = _frame(t, with_spec=False)
        for c in frame.columns:
            if frame[c].dtype == bool:
                frame[c] = frame[c].map({True: "yes", False: ""})
        body = frame.to_latex(index=False, float_format="%.2f", escape=True)
        parts.append(f"% {title(t.family)}, T = {t.budget}, k = {t.kernel}\n% {bound_line(t)}\n{body}")
    return "\n".join(parts)


def tables_rich(tables: Sequence[WidthTable]) -> None:
    from rich.table import Table

    from igcdesign.output import print_table, console

    out = console()
    for t in tables:
        rich_table = Table(title=f"{title(t.family)}: T = {t.budget:,} params, k = {t.kernel}"
                                 + (f", within ±{t.tolerance:g}%" if t.family == "igcv1" else ""),
                           caption=bound_line(t))
        for c in t.columns:
            rich_table.add_column(HEADERS.get(c, c), justify="right", overflow="fold")
        for r in t.rows:
            cells = []
            for c in t.columns:
                v = widest_cell(r) if c == "widest" else r.get(c)
                if isinstance(v, bool):
                    cells.append("✓" if v else "")
                elif isinstance(v, float):
                    cells.append(f"{v:+.2f}" if c == "dev_pct" else f"{v:.2f}")
                elif isinstance(v, int):
                    cells.append(f"{v:,}")
                else:
                    cells.append(str(v))
            rich_table.add_row(*cells, style="bold green" if r.get("widest") else None)
        print_table(rich_table, out, drop=[HEADERS.get(c, c) for c in OPTIONAL_COLUMNS if c in t.columns],
                    alternative="--json or --csv")
