"""Rich renderings of results for people (the --json paths never import this)."""

from __future__ import annotations

from igcdesign.output import console


def render_count(result) -> None:
    """A per-layer table of a :class:`igcdesign.counting.BlockCount`."""
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


def _config_text(config: dict | None) -> str:
    if not config:
        return ""
    parts = []
    for key, value in config.items():
        if isinstance(value, (list, tuple)):
            value = _runs(value)
        parts.append(f"{key}={value}")
    return ", ".join(parts)


def _runs(values) -> str:
    """Branch sizes with repeats folded for reading: (1, 4, 3, 3, 3) → '1x4x3^3'."""
    out: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j < len(values) and values[j] == values[i]:
            j += 1
        out.append(f"{values[i]}^{j - i}" if j - i > 2 else "x".join([str(values[i])] * (j - i)))
        i = j
    return "x".join(out)


def _bound_text(bound: dict) -> str:
    width = bound.get("width")
    if not width:
        return "–"
    text = f"{width:,.2f}"
    details = [f"{key}={value:,.2f}" for key, value in bound.items() if key != "width" and value is not None]
    return text + (f" at {', '.join(details)}" if details else "")


def render_widest(budget: int, kernel: int, results) -> None:
    from rich.table import Table

    table = Table(title=f"Widest blocks within {budget:,} params, {kernel}×{kernel} kernels")
    for col, justify in (("family", "left"), ("width", "right"), ("config", "left"), ("params", "right"),
                         ("× regular", "right"), ("continuous bound", "left")):
        table.add_column(col, justify=justify, overflow="fold")
    measured = any("latency" in r.extra for r in results)
    if measured:
        table.add_column("latency ms (IQR), × regular", justify="right", overflow="fold")
    for r in results:
        if r.width is None:
            cells = [r.family, "–", r.note or "", "–", "–", _bound_text(r.bound)]
            table.add_row(*cells, *([""] if measured else []), style="dim")
            continue
        ratio = f"{r.ratio_to_regular:.2f}" if r.ratio_to_regular else "–"
        cells = [r.family, f"{r.width:,}", _config_text(r.config), f"{r.params:,}", ratio, _bound_text(r.bound)]
        if measured:
            cells.append(_latency_text(r.extra.get("latency", [])))
        table.add_row(*cells)
    console().print(table)


def _latency_text(rows: list[dict]) -> str:
    parts = []
    for row in rows:
        ratio = f" ×{row['ratio_to_baseline']:.2f}" if row.get("ratio_to_baseline") else ""
        parts.append(f"b{row['batch']}: {row['latency_ms']:.3f} ({row['iqr_ms']:.3f}){ratio}")
    return "\n".join(parts) or "–"


def render_near(near: dict, percent: float) -> None:
    """Per family, the blocks within `percent` % of the widest width, fastest first."""
    from rich.table import Table

    for family, rows in near.items():
        table = Table(title=f"{family}: blocks within {percent:g}% of the widest, fastest first")
        for col in ("spec", "width", "params", "latency ms (IQR), × regular"):
            table.add_column(col, justify="left" if col == "spec" else "right", overflow="fold")
        for row in rows:
            table.add_row(row["spec"], f"{row['width']:,}", f"{row['params']:,}", _latency_text(row["latency"]))
        console().print(table)
