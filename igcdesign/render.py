"""Rich renderings of results for people (the --json paths never import this)."""

from __future__ import annotations

from igcdesign.counting import BlockCount
from igcdesign.output import console


def render_count(result: BlockCount) -> None:
    from rich.table import Table

    table = Table(title=f"{result.spec}  (width {result.width:,}, {result.hw}×{result.hw} map)")
    for col in ("layer", "shape", "params", "mult_adds", "mem_access"):
        table.add_column(col, justify="left" if col in ("layer", "shape") else "right")
    for row in result.layers:
        if row["kind"] == "conv":
            shape = f"{row['cin']}→{row['cout']}, {row['groups']} groups, {row['k']}×{row['k']}"
        else:
            shape = f"{row['width']} channels"
        table.add_row(row["name"], shape, f"{row['params']:,}", f"{row['mult_adds']:,}", f"{row['mem_access']:,}")
    table.add_section()
    table.add_row("total", "", f"{result.params:,}", f"{result.mult_adds:,}", f"{result.mem_access:,}", style="bold")
    console().print(table)
