"""Rich renderings of results for people (the --json paths never import this)."""

from __future__ import annotations

from igcdesign.output import print_table, console


def render_count(result, floor: dict | None = None) -> None:
    """A per-layer table of a :class:`igcdesign.counting.BlockCount`; with a floor document
    (:func:`igcdesign.floor.block_floor_document`) a floor column and the profile it came from."""
    from rich.table import Table

    widths = f"width {result.width:,}" + (f" → {result.width_out:,}" if result.width_out != result.width else "")
    if result.C_int is not None:
        widths += f", C_int {result.C_int:,}"
    hw_out = result.hw_out if result.hw_out is not None else result.hw
    maps = f"{result.hw}×{result.hw} map" + (f" → {hw_out}×{hw_out}" if hw_out != result.hw else "")
    table = Table(title=f"{result.spec}  ({widths}, {maps})")
    columns = ("layer", "shape", "params", "mult_adds", "mem_access") + (("floor ms",) if floor else ())
    for col in columns:
        table.add_column(col, justify="left" if col in ("layer", "shape") else "right", overflow="fold")
    for i, row in enumerate(result.layers):
        if row["kind"] == "conv":
            shape = f"{row['cin']}→{row['cout']}, {row['groups']} groups, {row['k']}×{row['k']}"
            if row.get("stride", 1) != 1:
                shape += f", stride {row['stride']} → {row['hw']}×{row['hw']}"
        else:
            shape = f"{row['width']} channels"
        cells = [row["name"], shape, f"{row['params']:,}", f"{row['mult_adds']:,}", f"{row['mem_access']:,}"]
        if floor:
            ms = floor["layers_ms"][i]
            cells.append("–" if ms is None else f"{ms:.3f} {floor['layers_bound'][i][:3]}")
        table.add_row(*cells)
    table.add_section()
    total = ["total", "", f"{result.params:,}", f"{result.mult_adds:,}", f"{result.mem_access:,}"]
    table.add_row(*total, *([f"{floor['floor_ms']:.3f}"] if floor else []), style="bold")
    print_table(table, wrap=("layer", "shape"), drop=("mem_access", "mult_adds"))
    if floor:
        from igcdesign.output import console

        console().print(
            f"floor at batch {floor['batch']}: {floor['floor_ms']:.3f} ms ({floor['bound']}-bound) on {floor['profile']}; "
            "per layer max(mult_adds / peak, mem_access × bytes / bandwidth) + call cost (mem = memory-, com = compute-bound)",
            markup=False, soft_wrap=False,
        )


def _bound_text(bound: dict) -> str:
    width = bound.get("width")
    if not width:
        return "–"
    text = f"{width:,.2f}"
    details = [f"{key}={value:,}" if isinstance(value, int) else f"{key}={value:,.2f}"
               for key, value in bound.items() if key != "width" and value is not None]
    return text + (f"\nat\u00a0{', '.join(details)}" if details else "")


def render_widest(budget: int, kernel: int, results, rule: str | None = None, search: dict | None = None) -> None:
    """The widest table, drawn without rich (this is the CLI's instant path). Each row names its
    block by its canonical spec, which every command takes back as it is printed; `rule` names
    the rule in force under the table."""
    import sys

    from igcdesign.textable import box_table

    headers = ["spec", "width", "params", "× regular", "continuous bound"]
    measured = any("latency" in r.extra for r in results)
    if measured:
        headers.append("latency ms (IQR), × regular")
    rows = []
    for r in results:
        if rows:
            rows.append(None)
        if r.width is None:
            cells = [f"{r.family}: {r.note or 'no block fits'}", "–", "–", "–", _bound_text(r.bound)]
        else:
            ratio = f"{r.ratio_to_regular:.2f}" if r.ratio_to_regular else "–"
            cells = [r.spec, f"{r.width:,}", f"{r.params:,}", ratio, _bound_text(r.bound)]
        if measured:
            cells.append(_latency_text(r.extra.get("latency", [])) if r.width else "–")
        rows.append(cells)
    right = [False, True, True, True, False, True]
    title = f"Widest blocks within {budget:,} params, {kernel}×{kernel} kernels"
    sys.stdout.write(box_table(title, headers, rows, right[: len(headers)],
                               wrap=("continuous bound", "latency ms (IQR), × regular"),
                               drop=("× regular", "continuous bound", "latency ms (IQR), × regular")))
    if rule:
        sys.stdout.write(rule + "\n")
    for line in search_lines(search or {}, results):
        sys.stdout.write(line + "\n")


def search_lines(search: dict, results) -> list[str]:
    """What narrowed the search, under the widest table: the constraints in force and which
    families each one narrowed, IGCV3's ranges of t, G1 and G2."""
    lines = []
    if search.get("constraints"):
        narrowed = {name: [r.family for r in results if name in r.extra.get("narrowed_by", [])]
                    for name in search["constraints"]}
        parts = [text + (f" (narrowed {', '.join(narrowed[name])})" if narrowed[name] else " (narrowed none)")
                 for name, text in zip(search["constraints"], search["constraints_meaning"])]
        lines.append("constraints: " + "; ".join(parts))
    ranges = search.get("igcv3_search")
    if ranges and any(len(v) > 1 for v in ranges.values()):
        lines.append("igcv3 searched over " + ", ".join(f"{key} ∈ {{{', '.join(map(str, v))}}}" for key, v in ranges.items()))
    return lines


def _latency_text(rows: list[dict]) -> str:
    """Per batch: median ms (IQR, '?' where a single timed block gave no spread) × the baseline."""
    parts = []
    for row in rows:
        ratio = f" ×{row['ratio_to_baseline']:.2f}" if row.get("ratio_to_baseline") else ""
        spread = "?" if row.get("blocks", 2) < 2 else f"{row['iqr_ms']:.3f}"
        parts.append(f"b{row['batch']}: {row['latency_ms']:.3f} ({spread}){ratio}")
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
        print_table(table, drop=("width",))
