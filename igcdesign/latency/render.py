"""Rich output of `igcdesign latency` (the --json path never imports this)."""

from __future__ import annotations

from typing import Any

from igcdesign.output import console, print_table


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.3f}"


def render_latency(document: dict[str, Any]) -> None:
    """Per block: its prediction, floor and plan (and measurement), then one row per step; the
    model's measured error on this machine under everything."""
    from rich.table import Table

    out = console()
    out.print(f"{document['profile']} · input map {document['hw']}×{document['hw']} · batch {document['batch']} · "
              f"impl {document['impl']} · {document['layer_shapes']:,} layer shapes in the profile", markup=False)
    for row in document["results"]:
        line = (f"{row['spec']}: predicted {_ms(row['predicted_ms'])} ms, floor {_ms(row['floor_ms'])} ms"
                f" ({row['impl']}" + (f", plan {row['plan']}" if row["impl"] == "fast" else "")
                + (f", steps × block factor {row['block_factor']:.2f})" if row.get("block_factor", 1.0) != 1.0 else ")"))
        if row.get("measured_ms") is not None:
            line += f"; measured {_ms(row['measured_ms'])} ms, error {row['error'] * 100:+.1f} %"
        out.print(line, markup=False, highlight=False, soft_wrap=True)
        table = Table(show_header=True, header_style="bold")
        for name in ("layer", "predicted ms", "floor ms", "source", "shape"):
            table.add_column(name, justify="right" if name.endswith("ms") else "left")
        for layer in row["layers"]:
            table.add_row(layer["name"], _ms(layer["predicted_ms"]), _ms(layer["floor_ms"]), layer["source"], layer["key"])
        print_table(table, out, wrap=("layer",), drop=("shape", "source"))
    measured = document.get("measured")
    if measured:
        loads = [x for x in measured.get("load_average") or [] if x is not None]
        if loads:
            out.print(f"measured with {measured['threads']} threads; load average "
                      f"{' → '.join(f'{x:.2f}' for x in loads)} on {measured['cpu_count']} CPUs", markup=False)
        if measured.get("busy"):
            out.print(measured["busy"], markup=False, highlight=False)
    out.print(f"model error: {document['accuracy_text']}", markup=False, highlight=False)
    out.print("source: measured = this shape is in the profile's layer table; interpolated = from measured "
              "neighbours (its ratio to the floor); floor = no neighbour, the roofline floor", markup=False, highlight=False)
