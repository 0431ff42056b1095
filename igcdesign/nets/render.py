"""Rich tables for `igcdesign net`: one network's stages, or several networks side by side."""

from __future__ import annotations

from typing import Any

from igcdesign.output import print_table, console


def _options(doc: dict[str, Any]) -> str:
    bn = "BN counted" if doc["bn"] else "no BN"
    fc = f"FC → {doc['classes']}" if doc["fc"] else "no FC"
    side = doc["resolution"]
    return f"{side}×{side} input, {bn}, {fc}"


def render_net(doc: dict[str, Any]) -> None:
    """One network: a row per stage (stem, stages, head, classifier) and the total."""
    from rich.table import Table

    table = Table(title=f"{doc['net']}  ({_options(doc)})")
    for col in ("stage", "blocks", "width", "resolution", "params", "mult_adds", "mem_access"):
        table.add_column(col, justify="left" if col == "stage" else "right", overflow="fold")
    for row in doc["stages"]:
        side = row["resolution"]
        table.add_row(
            row["name"], str(row["blocks"]), f"{row['width']:,}", f"{side}×{side}",
            f"{row['params']:,}", f"{row['mult_adds']:,}", f"{row['mem_access']:,}",
        )
    table.add_section()
    table.add_row("total", "", "", "", f"{doc['params']:,}", f"{doc['mult_adds']:,}", f"{doc['mem_access']:,}", style="bold")
    out = console()
    print_table(table, out, wrap=("stage",), drop=("mem_access", "mult_adds", "resolution", "blocks"))
    out.print(f"params {doc['params'] / 1e6:.3f} M, mult-adds {doc['mult_adds'] / 1e6:.1f} M (FLOPs = 2 × mult-adds)")
    for row in doc.get("latency", []):
        floor = (f"; floor {row['floor_ms']:.3f} ms, × floor {row['ratio_to_floor']:.2f}" if row.get("floor_ms") else "")
        out.print(f"latency at batch {row['batch']}: {row['latency_ms']:.3f} ms (IQR {row['iqr_ms']:.3f}){floor} "
                  f"on {doc.get('device', '?')}", markup=False)


def compact(n: float) -> str:
    """3 significant digits with a k/M/G suffix (the JSON keeps the exact integers)."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= scale:
            return f"{n / scale:.3g}{suffix}"
    return f"{n:.3g}"


def fmt_ms(ms: float) -> str:
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.3g}"


def _cell(value: str, ratio: float | None) -> str:
    return f"{value} ({'–' if ratio is None else f'{ratio:.2f}×'})"


def render_compare(document: dict[str, Any], device: str | None = None) -> None:
    """Several networks: one column per network (numbered, names listed below), one row per
    metric, each value with its ratio to the first network (and latency with --measure)."""
    from rich.table import Table

    nets = document["nets"]
    table = Table(title=f"{len(nets)} networks, ratios to #1  ({_options(nets[0])})")
    table.add_column("", justify="left", overflow="fold")
    for i in range(len(nets)):
        table.add_column(f"#{i + 1}", justify="right", overflow="fold")
    for key in ("params", "mult_adds", "mem_access"):
        table.add_row(key, *(_cell(compact(doc[key]), doc["ratios"][key]) for doc in nets))
    for j, row in enumerate(nets[0].get("latency", [])):
        b = row["batch"]
        cells = [_cell(fmt_ms(doc["latency"][j]["latency_ms"]), doc["ratios"][f"latency_batch_{b}"]) for doc in nets]
        table.add_row(f"ms, batch {b}", *cells)
        if all(doc["latency"][j].get("floor_ms") for doc in nets):
            table.add_row(f"floor ms, batch {b}", *(f"{fmt_ms(doc['latency'][j]['floor_ms'])} "
                                                    f"(×{doc['latency'][j]['ratio_to_floor']:.2f})" for doc in nets))
    out = console()
    print_table(table, out, wrap=[f"#{i + 1}" for i in range(len(nets))])
    for i, doc in enumerate(nets):
        out.print(f"#{i + 1}  {doc['net']}")
    if device:
        out.print(f"latency: median of blocked_autorange on {device}, all networks in one run")
